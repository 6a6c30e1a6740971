// The Fusion extension for VS Code: the language (package.json, the TextMate grammar) and the
// language server, `fusion lsp` over stdio, started with the command the `fusion.path` setting names.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client = null;

function serverOptions() {
  const command = vscode.workspace.getConfiguration('fusion').get('path') || 'fusion';
  const executable = { command, args: ['lsp'], transport: TransportKind.stdio };
  return { run: executable, debug: executable };
}

async function start(context) {
  client = new LanguageClient('fusion', 'Fusion', serverOptions(), {
    documentSelector: [{ scheme: 'file', language: 'fusion' }, { scheme: 'untitled', language: 'fusion' }],
  });
  try {
    await client.start();
  } catch (e) {
    const command = vscode.workspace.getConfiguration('fusion').get('path') || 'fusion';
    vscode.window.showErrorMessage(
      `Fusion: could not start the language server \`${command} lsp\` (${e.message}). ` +
        'Set `fusion.path` to the fusion compiler.');
  }
}

async function stop() {
  if (client) {
    const c = client;
    client = null;
    if (c.isRunning()) await c.stop();
  }
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('fusion.restartServer', async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('fusion.path')) {
        await stop();
        await start(context);
      }
    }),
  );
  return start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
