// Checks the TextMate grammar (editors/vscode/syntaxes/fusion.tmLanguage.json) with the engine VS Code
// uses (vscode-textmate on vscode-oniguruma): every regex of the grammar must compile, and each
// file given must tokenize. tests/lit/editors/textmate.test runs it.
//
// usage: node tm_check.js GRAMMAR.json [--tokens] [--skip LIST] FILE.fu...
//   --tokens  prints each token that has a scope beyond the file's, as
//             `FILE:LINE:COL: scope.a scope.b `text``, for FileCheck.
//   --skip    leaves out the files named in LIST (one path a line, `#` comments: the files
//             malformed on purpose, editors/tree-sitter-fusion/test/malformed.txt).
// Exits with 1 when a regex does not compile, a file does not tokenize, or a token of a file is
// scoped `invalid.*`.
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

async function main() {
  const args = process.argv.slice(2);
  const grammarPath = args.shift();
  const printTokens = args[0] === '--tokens' && args.shift() !== undefined;
  const skip = new Set();
  if (args[0] === '--skip') {
    args.shift();
    for (const line of fs.readFileSync(args.shift(), 'utf8').split('\n')) {
      const p = line.split('#')[0].trim();
      if (p) skip.add(p);
    }
  }
  const files = args.filter((f) => !skip.has(f));
  if (!grammarPath) {
    console.error('usage: node tm_check.js GRAMMAR.json [--tokens] [--skip LIST] FILE.fu...');
    return 2;
  }
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer);
  const onigLib = Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  });

  let problems = 0;
  const rawText = fs.readFileSync(grammarPath, 'utf8');
  const raw = JSON.parse(rawText);
  // Every regex of the grammar, compiled one by one so that a bad one is named (the tokenizer
  // compiles them only when a rule is tried).
  let regexes = 0;
  const visit = (node, where) => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    for (const key of ['match', 'begin', 'end', 'while']) {
      if (typeof node[key] !== 'string') continue;
      regexes++;
      try {
        new oniguruma.OnigScanner([node[key]]).dispose();
      } catch (e) {
        console.log(`${grammarPath}: error: ${where}.${key} does not compile: ${e.message}`);
        problems++;
      }
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
  };
  visit(raw, '$');

  const registry = new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) =>
      scopeName === raw.scopeName ? vsctm.parseRawGrammar(rawText, grammarPath) : null,
  });
  const grammar = await registry.loadGrammar(raw.scopeName);
  if (!grammar) {
    console.log(`${grammarPath}: error: the grammar does not load`);
    return 1;
  }

  let tokens = 0;
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    let state = vsctm.INITIAL;
    lines.forEach((line, i) => {
      const result = grammar.tokenizeLine(line, state, 1000);
      if (result.stoppedEarly) {
        console.log(`${file}:${i + 1}: error: tokenizing the line took over a second`);
        problems++;
      }
      for (const t of result.tokens) {
        const scopes = t.scopes.slice(1);
        const text = line.substring(t.startIndex, t.endIndex);
        if (scopes.some((s) => s.startsWith('invalid'))) {
          console.log(`${file}:${i + 1}:${t.startIndex + 1}: error: \`${text}\` is scoped ${scopes.join(' ')}`);
          problems++;
        }
        if (printTokens && scopes.length > 0 && text.trim() !== '') {
          console.log(`${file}:${i + 1}:${t.startIndex + 1}: ${scopes.join(' ')} \`${text}\``);
        }
        tokens++;
      }
      state = result.ruleStack;
    });
  }
  console.log(`textmate: ${regexes} regexes compiled; ${files.length} file(s), ${tokens} tokens; ${problems} problem(s)`);
  return problems > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`error: ${e.stack || e}`);
  process.exit(1);
});
