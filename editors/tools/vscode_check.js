// Checks the VS Code extension folder (editors/vscode): package.json declares the `fusion` language
// for `.fu` files, its language configuration and TextMate grammar exist and parse, the grammar's
// scope name is the one declared, and extension.js compiles. tests/lit/editors/textmate.test runs it.
//
// usage: node vscode_check.js EXTENSION_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const dir = process.argv[2];
const problems = [];
const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch (e) {
    problems.push(`${file}: ${e.message}`);
    return null;
  }
};
const manifest = readJson('package.json') || {};
const contributes = manifest.contributes || {};
const language = (contributes.languages || []).find((l) => l.id === 'fusion');
if (!language) problems.push('package.json: no `fusion` language');
else {
  if (!(language.extensions || []).includes('.fu')) problems.push('package.json: `.fu` is not a Fusion file');
  const config = readJson(language.configuration || 'language-configuration.json');
  if (config && !(config.comments && config.comments.lineComment === '//')) {
    problems.push('language-configuration.json: the line comment is not `//`');
  }
}
const grammar = (contributes.grammars || []).find((g) => g.language === 'fusion');
if (!grammar) problems.push('package.json: no grammar for `fusion`');
else {
  const tm = readJson(grammar.path);
  if (tm && tm.scopeName !== grammar.scopeName) {
    problems.push(`${grammar.path}: scope ${tm.scopeName}, package.json says ${grammar.scopeName}`);
  }
}
const settings = (contributes.configuration || {}).properties || {};
if (!settings['fusion.path']) problems.push('package.json: no `fusion.path` setting');
if (!(manifest.dependencies || {})['vscode-languageclient']) problems.push('package.json: no vscode-languageclient');
try {
  execFileSync(process.execPath, ['--check', path.join(dir, manifest.main || 'extension.js')], { stdio: 'pipe' });
} catch (e) {
  problems.push(`${manifest.main}: ${e.stderr}`);
}
const source = fs.readFileSync(path.join(dir, manifest.main || 'extension.js'), 'utf8');
if (!/args: \['lsp'\]/.test(source)) problems.push(`${manifest.main}: does not start \`fusion lsp\``);
for (const p of problems) console.log(`error: ${p}`);
console.log(`vscode extension: ${problems.length} problem(s)`);
process.exit(problems.length > 0 ? 1 : 0);
