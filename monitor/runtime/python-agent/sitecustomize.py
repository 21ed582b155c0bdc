# heapgate's CPython agent: lets heapgate run gc.collect() inside a Python service it started.
#
# heapgate puts this folder first on PYTHONPATH, so every Python process of the service imports
# this file at start-up as `sitecustomize`. It then:
#   1. runs the sitecustomize this file hides (the next one on sys.path), so nothing of the
#      user's set-up is lost;
#   2. if HEAPGATE_PY_AGENT_DIR is set, serves <dir>/<pid>.sock from a daemon thread. A client
#      sends one line, "collect", "peek" or "census" (live objects by type, counted in a forked
#      copy of the process), and gets one JSON line back:
#        {"pid": 123, "rss_bytes": …, "collected": 40000, "gc_objects": …, "gc_collections": [g0, g1, g2]}
#
# It must never break the target: every failure is swallowed, and the target runs as without it.
# It imports neither threading nor anything heavy (gevent must be able to patch threading after
# us); its thread is a raw _thread, which never holds up interpreter exit.


def _chain():
    """Run the next sitecustomize on sys.path, the one this file shadows."""
    import importlib.machinery
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def _rss_bytes():
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _census():
    """Live objects by type after a full collection: [[qualified name, count, bytes], ...].

    gc.get_objects() lists only containers the collector tracks; the bytes, str and int objects
    a leak often keeps are not tracked, nor is a dict or tuple holding only such objects (a job
    record {"status": ..., "result": b"..."}), so untracked objects reachable from tracked ones
    are counted too (each once), through untracked containers as well. sys.getsizeof is an object's own size, as a JVM histogram's bytes.
    """
    import gc
    import sys

    seen = set()
    counts = {}

    def add(obj):
        if id(obj) in seen:
            return False
        seen.add(id(obj))
        t = type(obj)
        name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        c = counts.get(name)
        size = sys.getsizeof(obj, 0)
        if c:
            c[0] += 1
            c[1] += size
        else:
            counts[name] = [1, size]
        return True

    tracked = gc.get_objects()
    for obj in tracked:
        add(obj)
    untracked = [ref for obj in tracked for ref in gc.get_referents(obj) if not gc.is_tracked(ref) and add(ref)]
    del tracked
    while untracked:
        untracked = [ref for obj in untracked for ref in gc.get_referents(obj) if not gc.is_tracked(ref) and add(ref)]
    seen.clear()
    return sorted(([n, c[0], c[1]] for n, c in counts.items()), key=lambda r: -r[2])


# True in the copy a census runs in: no agent of its own there (see _census_apart).
_census_child = False


def _census_apart(timeout_s=55):
    """The census in a forked copy of the process, its result back through a pipe.

    CPython's reading is RSS, and a census of a few hundred thousand objects allocates its own
    (a list of them all, a set of ids): ~18 MB that pymalloc kept, so the next settle's reading
    rose by it and a fixed service's verdict turned inconclusive. In the copy those pages are the
    copy's; the service's own pages are shared until written, and it is idle during a settle.
    """
    import json
    import os
    import select
    import time

    global _census_child
    r, w = os.pipe()
    _census_child = True
    try:
        pid = os.fork()
    except Exception:
        _census_child = False
        os.close(r)
        os.close(w)
        raise
    if pid == 0:
        try:
            os.close(r)
            view = memoryview(json.dumps(_census()).encode())
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(0)
    _census_child = False
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, 9)
                raise TimeoutError("census took longer than %d s" % timeout_s)
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def _answer(command):
    import gc
    import json
    import os

    reply = {"pid": os.getpid()}
    if command == "census":
        gc.collect()
        reply["types"] = _census_apart() if hasattr(os, "fork") else _census()
    elif command == "collect":
        # The whole of it: CPython's reference counting has already freed everything not caught
        # in a reference cycle; gc.collect() (all generations) frees the cycles.
        reply["collected"] = gc.collect()
    elif command not in ("peek", "census"):
        reply["error"] = "unknown command"
        return json.dumps(reply)
    reply["rss_bytes"] = _rss_bytes()
    reply["gc_objects"] = len(gc.get_objects())
    reply["gc_collections"] = [s.get("collections", 0) for s in gc.get_stats()]
    return json.dumps(reply)


def _serve_forever(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return  # the socket was closed (after a fork, in the child)
        try:
            conn.settimeout(5)
            data = b""
            while b"\n" not in data and len(data) < 256:
                chunk = conn.recv(256)
                if not chunk:
                    break
                data += chunk
            conn.sendall((_answer(data.decode("ascii", "replace").strip()) + "\n").encode())
        except Exception:
            pass
        finally:
            try:
                conn.close()
            except Exception:
                pass


_server = None


def _start(folder):
    """Listen on <folder>/<pid>.sock and answer from a daemon thread."""
    import _thread
    import atexit
    import os
    import socket

    global _server
    if _server is not None:  # inherited through fork: the parent's socket, not ours to serve
        try:
            _server.close()
        except Exception:
            pass
        _server = None
    pid = os.getpid()
    path = os.path.join(folder, "%d.sock" % pid)
    try:
        os.unlink(path)  # a pid reused from an earlier run
    except OSError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    _server = server

    def remove():
        if os.getpid() == pid:
            try:
                os.unlink(path)
            except OSError:
                pass

    atexit.register(remove)
    _thread.start_new_thread(_serve_forever, (server,))


def _main():
    import os

    try:
        _chain()
    except Exception:
        pass
    folder = os.environ.get("HEAPGATE_PY_AGENT_DIR")
    if not folder:
        return

    def start():
        if _census_child:
            return
        try:
            _start(folder)
        except Exception:
            pass

    start()
    # A forked worker (gunicorn, multiprocessing's fork) has no thread of ours: serve again, as itself.
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=start)


try:
    _main()
except Exception:
    pass
