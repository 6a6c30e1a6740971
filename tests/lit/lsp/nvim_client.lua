-- Neovim (headless) as the client of `fusion lsp`, with its built-in LSP client (nvim.test):
-- opens $FILE, waits for the diagnostics, hovers, jumps to a definition and completes after a
-- `.`, and writes what it saw to $OUT, one line each. Neovim 0.7's API.
local out = {}
local function say(s) table.insert(out, s) end
local function finish()
  vim.fn.writefile(out, os.getenv("OUT"))
  vim.cmd("qa!")
end

vim.cmd("edit " .. os.getenv("FILE"))
local client = vim.lsp.start_client({
  name = "fusion",
  cmd = { os.getenv("FUSION"), "lsp" },
  root_dir = vim.fn.fnamemodify(os.getenv("FILE"), ":p:h"),
})
vim.lsp.buf_attach_client(0, client)

-- Diagnostics arrive on their own after didOpen.
local ok = vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 50)
if not ok then say("no diagnostics within 10 s") return finish() end
for _, d in ipairs(vim.diagnostic.get(0)) do
  say(string.format("diagnostic %d:%d severity %d: %s", d.lnum + 1, d.col + 1, d.severity, d.message))
end

local function request(method, line, col, extra)
  local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = line - 1, character = col - 1 } }
  for k, v in pairs(extra or {}) do params[k] = v end
  local replies = vim.lsp.buf_request_sync(0, method, params, 5000)
  for _, r in pairs(replies or {}) do
    if r.result then return r.result end
  end
  return nil
end

-- Hover over `double` in `let b = double(a)` (line 10).
local hover = request("textDocument/hover", 10, 10)
if hover then
  local lines = vim.lsp.util.convert_input_to_markdown_lines(hover.contents)
  say("hover: " .. table.concat(lines, " | "))
else
  say("hover: none")
end

-- Go to the definition of `double` and jump there, as `gd` would.
local def = request("textDocument/definition", 10, 10)
if def then
  vim.lsp.util.jump_to_location(def.uri and def or def[1], "utf-16")
  local pos = vim.api.nvim_win_get_cursor(0)
  say(string.format("definition: cursor at %d:%d on `%s`", pos[1], pos[2] + 1, vim.fn.expand("<cword>")))
else
  say("definition: none")
end

-- Complete after `b.` at the end of line 11: type it, then ask.
-- The server has the new text once its diagnostics no longer mention `missing`.
vim.api.nvim_buf_set_lines(0, 10, 11, false, { "print(b." })
vim.wait(5000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.message:find("missing") then return false end
  end
  return true
end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  say(string.format("after the edit: diagnostic %d:%d: %s", d.lnum + 1, d.col + 1, d.message))
end
local result = request("textDocument/completion", 11, 9)
local labels = {}
for _, item in ipairs((result and (result.items or result)) or {}) do table.insert(labels, item.label) end
table.sort(labels)
say("completion after `b.`: " .. table.concat(labels, ", "))
finish()
