// Parse the GIFT text on standard input with gift-pegjs and print the result as JSON.
const gift = require("gift-pegjs");
let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { text += chunk; });
process.stdin.on("end", () => {
  try {
    process.stdout.write(JSON.stringify(gift.parse(text)));
  } catch (error) {
    process.stderr.write(`GIFT syntax error: ${error.message} at ${JSON.stringify(error.location)}\n`);
    process.exit(1);
  }
});
