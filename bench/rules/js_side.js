// json-logic-js measured inside node. The first stdin line is {rules, contexts}; then each line "round"
// times one pass over every rule and context and answers the seconds, and "results" answers every result,
// so the bench can interleave node's rounds with the Python engines' on a shared machine.
const jsonLogic = require("json-logic-js");
const readline = require("readline");
const lines = readline.createInterface({ input: process.stdin });
let rules, contexts;
lines.on("line", (line) => {
  if (rules === undefined) {
    ({ rules, contexts } = JSON.parse(line));
    process.stdout.write("ready\n");
  } else if (line === "round") {
    const start = process.hrtime.bigint();
    let hits = 0;
    for (const ctx of contexts) for (const rule of rules) if (jsonLogic.truthy(jsonLogic.apply(rule, ctx))) hits++;
    process.stdout.write(`${Number(process.hrtime.bigint() - start) / 1e9}\n`);
  } else if (line === "results") {
    const results = contexts.map((ctx) => rules.map((rule) => jsonLogic.truthy(jsonLogic.apply(rule, ctx))));
    process.stdout.write(JSON.stringify(results) + "\n");
  }
});
