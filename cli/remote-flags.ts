// The flags that take a run beyond this machine (run/remote.ts checks them): added to `run`.
import type { Command } from 'commander';

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option('--allow-remote', 'let load and readings leave this machine: k6 without its loopback-only block list, and non-loopback --base-url, --metrics-url, --gc-url and --prometheus')
    .option('--prometheus <url>', "Prometheus server to read the target's memory from (its HTTP API), with --query")
    .option('--query <promql>', "PromQL naming one number, the target's memory in bytes (column promql_value, judged by default), e.g. 'process_resident_memory_bytes{job=\"api\"}'");
}
