import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execIfSimple } from '../../run/process-group.js';

describe('execIfSimple', () => {
  it('execs a lone command, quoted arguments and all, so the service leads its group', () => {
    assert.equal(execIfSimple('java -Xms8m -jar app.jar --server.port=8080'), 'exec java -Xms8m -jar app.jar --server.port=8080');
    assert.equal(execIfSimple(`node -e "setTimeout(() => process.exit(3), 300)"`), `exec node -e "setTimeout(() => process.exit(3), 300)"`);
    assert.equal(execIfSimple(`python3 -c 'print(1); x()'`), `exec python3 -c 'print(1); x()'`);
    assert.equal(execIfSimple('$HOME/bin/app --port 1'), 'exec $HOME/bin/app --port 1');
  });

  it('runs anything with shell syntax as written', () => {
    for (const cmd of [
      'node app.js; echo after',
      'cd app && npm start',
      'node a.js | tee log',
      'PORT=1 node app.js',
      'exec node app.js',
      'if true; then node a.js; fi',
      'node "unterminated',
      'node a.js > out.log',
    ]) {
      assert.equal(execIfSimple(cmd), cmd, cmd);
    }
  });
});
