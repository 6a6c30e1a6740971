// A small ELF + DWARF 4 reader for crash backtraces: code address -> Fusion frames (inlined ones
// included) with file:line:col. It runs inside a crash, so it never allocates, never trusts an
// offset it has not bounds-checked, and gives up (0 frames) on anything it does not understand.
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fusion/rt_core.h"

// The DWARF constants used here (DWARF 4 standard, section 7).
enum {
  DW_TAG_lexical_block = 0x0b, DW_TAG_compile_unit = 0x11, DW_TAG_inlined_subroutine = 0x1d,
  DW_TAG_subprogram = 0x2e,
  DW_AT_name = 0x03, DW_AT_stmt_list = 0x10, DW_AT_low_pc = 0x11, DW_AT_high_pc = 0x12, DW_AT_producer = 0x25,
  DW_AT_abstract_origin = 0x31, DW_AT_artificial = 0x34, DW_AT_decl_line = 0x3b, DW_AT_specification = 0x47, DW_AT_ranges = 0x55,
  DW_AT_call_column = 0x57, DW_AT_call_file = 0x58, DW_AT_call_line = 0x59, DW_AT_linkage_name = 0x6e,
  DW_AT_MIPS_linkage_name = 0x2007,
  DW_FORM_addr = 0x01, DW_FORM_block2 = 0x03, DW_FORM_block4 = 0x04, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06,
  DW_FORM_data8 = 0x07, DW_FORM_string = 0x08, DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b,
  DW_FORM_flag = 0x0c, DW_FORM_sdata = 0x0d, DW_FORM_strp = 0x0e, DW_FORM_udata = 0x0f, DW_FORM_ref_addr = 0x10,
  DW_FORM_ref1 = 0x11, DW_FORM_ref2 = 0x12, DW_FORM_ref4 = 0x13, DW_FORM_ref8 = 0x14, DW_FORM_ref_udata = 0x15,
  DW_FORM_indirect = 0x16, DW_FORM_sec_offset = 0x17, DW_FORM_exprloc = 0x18, DW_FORM_flag_present = 0x19,
  DW_FORM_ref_sig8 = 0x20, DW_FORM_implicit_const = 0x21, DW_FORM_GNU_ref_alt = 0x1f20,
  DW_FORM_GNU_strp_alt = 0x1f21,
  DW_LNS_copy = 1, DW_LNS_advance_pc = 2, DW_LNS_advance_line = 3, DW_LNS_set_file = 4, DW_LNS_set_column = 5,
  DW_LNS_const_add_pc = 8, DW_LNS_fixed_advance_pc = 9,
  DW_LNE_end_sequence = 1, DW_LNE_set_address = 2,
};

// ---- bounds-checked reading ----

typedef struct {
  const uint8_t* p;
  const uint8_t* end;
  bool bad;  // read past the end: every later read gives 0
} cursor;

static cursor at(const uint8_t* base, uint64_t size, uint64_t offset) {
  cursor c = {base, base, true};
  if (offset <= size) c = (cursor){base + offset, base + size, false};
  return c;
}

static bool have(cursor* c, uint64_t n) {
  if (c->bad || (uint64_t)(c->end - c->p) < n) {
    c->bad = true;
    c->p = c->end;
    return false;
  }
  return true;
}

static uint64_t fixed(cursor* c, int n) {
  if (!have(c, n)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
  c->p += n;
  return v;
}

static void skip(cursor* c, uint64_t n) {
  if (have(c, n)) c->p += n;
}

static uint64_t uleb(cursor* c) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (!have(c, 1)) return 0;
    uint8_t b = *c->p++;
    if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

static int64_t sleb(cursor* c) {
  int64_t v = 0;
  int shift = 0;
  uint8_t b;
  do {
    if (!have(c, 1)) return 0;
    b = *c->p++;
    if (shift < 64) v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) v = (int64_t)((uint64_t)v | (~(uint64_t)0 << shift));
  return v;
}

// A NUL-terminated string inside the cursor's bounds, or NULL.
static const char* cstr(cursor* c) {
  if (c->bad) return NULL;
  const uint8_t* nul = memchr(c->p, 0, (size_t)(c->end - c->p));
  if (!nul) {
    c->bad = true;
    c->p = c->end;
    return NULL;
  }
  const char* s = (const char*)c->p;
  c->p = nul + 1;
  return s;
}

// ---- sections ----

typedef struct {
  const uint8_t* data;
  uint64_t size;
} section;

typedef struct {
  section info, abbrev, line, str, ranges;
  uint64_t addr;  // the address being looked up, in the file's addresses
  const char* producer;
} image;

static bool find_sections(const uint8_t* elf, uint64_t size, image* im) {
  if (size < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  memcpy(&eh, elf, sizeof eh);
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum)
    return false;
  if (eh.e_shoff > size || (size - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum) return false;
  Elf64_Shdr names;
  memcpy(&names, elf + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof names);
  if (names.sh_offset > size || names.sh_size > size - names.sh_offset) return false;
  for (unsigned i = 0; i < eh.e_shnum; i++) {
    Elf64_Shdr sh;
    memcpy(&sh, elf + eh.e_shoff + (uint64_t)i * sizeof(Elf64_Shdr), sizeof sh);
    if (sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED)) continue;
    if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset || sh.sh_name >= names.sh_size) continue;
    cursor nc = at(elf + names.sh_offset, names.sh_size, sh.sh_name);
    const char* name = cstr(&nc);
    if (!name) continue;
    section s = {elf + sh.sh_offset, sh.sh_size};
    if (strcmp(name, ".debug_info") == 0) im->info = s;
    else if (strcmp(name, ".debug_abbrev") == 0) im->abbrev = s;
    else if (strcmp(name, ".debug_line") == 0) im->line = s;
    else if (strcmp(name, ".debug_str") == 0) im->str = s;
    else if (strcmp(name, ".debug_ranges") == 0) im->ranges = s;
  }
  return im->info.data && im->abbrev.data && im->line.data;
}

// ---- .debug_abbrev ----

enum { kMaxAbbrevs = 1024 };

typedef struct {
  const uint8_t* specs;  // (attribute, form) pairs in .debug_abbrev
  uint16_t tag;
  bool children;
} abbrev;

typedef struct {
  abbrev by_code[kMaxAbbrevs];  // codes are small and dense in what LLVM writes
} abbrev_table;

static bool read_abbrevs(const image* im, uint64_t offset, abbrev_table* t) {
  memset(t, 0, sizeof *t);
  cursor c = at(im->abbrev.data, im->abbrev.size, offset);
  for (;;) {
    uint64_t code = uleb(&c);
    if (c.bad) return false;
    if (code == 0) return true;
    uint64_t tag = uleb(&c);
    bool children = fixed(&c, 1) != 0;
    const uint8_t* specs = c.p;
    for (;;) {
      uint64_t attr = uleb(&c), form = uleb(&c);
      if (c.bad) return false;
      if (form == DW_FORM_implicit_const) sleb(&c);
      if (attr == 0 && form == 0) break;
    }
    if (code < kMaxAbbrevs) t->by_code[code] = (abbrev){specs, (uint16_t)tag, children};
  }
}

// ---- .debug_info ----

typedef struct {
  uint64_t u;
  const char* s;  // a string form
  bool present;
} value;

// One DIE's attributes this reader uses.
typedef struct {
  uint16_t tag;
  bool children, artificial, high_is_offset;
  value name, low_pc, high_pc, ranges, origin, call_file, call_line, call_column, producer, stmt_list, decl_line, linkage;
} die;

typedef struct {
  const image* im;
  const uint8_t* unit;  // the unit's start (its header), for CU-relative references
  const uint8_t* unit_end;
  const abbrev_table* abbrevs;
  uint64_t base;  // the CU's base address (its DW_AT_low_pc)
} unit;

// Reads one attribute value of `form`; false for a form it does not know.
static bool read_form(const unit* u, cursor* c, uint64_t form, value* v, int depth) {
  v->present = true;
  switch (form) {
    case DW_FORM_addr: v->u = fixed(c, 8); return true;
    case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: v->u = fixed(c, 1); return true;
    case DW_FORM_data2: case DW_FORM_ref2: v->u = fixed(c, 2); return true;
    case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_sec_offset: case DW_FORM_ref_addr:
    case DW_FORM_GNU_ref_alt: case DW_FORM_GNU_strp_alt:
      v->u = fixed(c, 4); return true;
    case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: v->u = fixed(c, 8); return true;
    case DW_FORM_sdata: v->u = (uint64_t)sleb(c); return true;
    case DW_FORM_udata: case DW_FORM_ref_udata: v->u = uleb(c); return true;
    case DW_FORM_flag_present: v->u = 1; return true;
    case DW_FORM_string: v->s = cstr(c); return true;
    case DW_FORM_strp: {
      v->u = fixed(c, 4);
      cursor s = at(u->im->str.data, u->im->str.size, v->u);
      v->s = u->im->str.data ? cstr(&s) : NULL;
      return true;
    }
    case DW_FORM_block1: skip(c, fixed(c, 1)); return true;
    case DW_FORM_block2: skip(c, fixed(c, 2)); return true;
    case DW_FORM_block4: skip(c, fixed(c, 4)); return true;
    case DW_FORM_block: case DW_FORM_exprloc: skip(c, uleb(c)); return true;
    case DW_FORM_indirect: return depth < 4 && read_form(u, c, uleb(c), v, depth + 1);
    default: return false;
  }
}

// Reads the DIE at `c`; false at a null entry (tag 0) or on anything malformed (then c->bad).
static bool read_die(const unit* u, cursor* c, die* d) {
  memset(d, 0, sizeof *d);
  uint64_t code = uleb(c);
  if (c->bad || code == 0) return false;
  if (code >= kMaxAbbrevs || !u->abbrevs->by_code[code].specs) {
    c->bad = true;
    return false;
  }
  const abbrev* a = &u->abbrevs->by_code[code];
  d->tag = a->tag;
  d->children = a->children;
  cursor spec = {a->specs, u->im->abbrev.data + u->im->abbrev.size, false};
  for (;;) {
    uint64_t attr = uleb(&spec), form = uleb(&spec);
    if (spec.bad) {
      c->bad = true;
      return false;
    }
    if (attr == 0 && form == 0) return !c->bad;
    value v = {0, NULL, false};
    if (form == DW_FORM_implicit_const) {
      v = (value){(uint64_t)sleb(&spec), NULL, true};
    } else if (!read_form(u, c, form, &v, 0)) {
      c->bad = true;
      return false;
    }
    switch (attr) {
      case DW_AT_name: d->name = v; break;
      case DW_AT_low_pc: d->low_pc = v; break;
      case DW_AT_high_pc: d->high_pc = v; d->high_is_offset = form != DW_FORM_addr; break;
      case DW_AT_ranges: d->ranges = v; break;
      case DW_AT_abstract_origin: case DW_AT_specification:
        // CU-relative, except ref_addr (section-relative), made CU-relative here.
        d->origin = v;
        if (form == DW_FORM_ref_addr) d->origin.u -= (uint64_t)(u->unit - u->im->info.data);
        break;
      case DW_AT_call_file: d->call_file = v; break;
      case DW_AT_call_line: d->call_line = v; break;
      case DW_AT_call_column: d->call_column = v; break;
      case DW_AT_artificial: d->artificial = v.u != 0; break;
      case DW_AT_producer: d->producer = v; break;
      case DW_AT_stmt_list: d->stmt_list = v; break;
      case DW_AT_decl_line: d->decl_line = v; break;
      case DW_AT_linkage_name: case DW_AT_MIPS_linkage_name: d->linkage = v; break;
      default: break;
    }
  }
}

// Whether the DIE's code covers `addr`.
static bool covers(const unit* u, const die* d, uint64_t addr) {
  if (d->low_pc.present && d->high_pc.present) {
    uint64_t high = d->high_is_offset ? d->low_pc.u + d->high_pc.u : d->high_pc.u;
    return d->low_pc.u <= addr && addr < high;
  }
  if (!d->ranges.present || !u->im->ranges.data) return false;
  cursor c = at(u->im->ranges.data, u->im->ranges.size, d->ranges.u);
  uint64_t base = u->base;
  for (int i = 0; i < 4096 && !c.bad; i++) {
    uint64_t begin = fixed(&c, 8), end = fixed(&c, 8);
    if (c.bad || (begin == 0 && end == 0)) break;
    if (begin == UINT64_MAX) {
      base = end;
      continue;
    }
    if (base + begin <= addr && addr < base + end) return true;
  }
  return false;
}

// The name of a subprogram or inlined call: its own, or its abstract origin's (a few hops).
// Generated code (C entries, `main`) is artificial, or has no line (line-tables-only DWARF
// drops DW_AT_artificial; the compiler puts generated functions at line 0).
static const char* die_name(const unit* u, const die* d, int* flags) {
  die cur = *d;
  bool has_line = false;
  for (int hop = 0; hop < 4; hop++) {
    if (cur.artificial) *flags |= RT_FRAME_ARTIFICIAL;
    if (cur.linkage.s && rt_backtrace_is_kernel_entry(cur.linkage.s)) *flags |= RT_FRAME_KERNEL_ENTRY;
    has_line |= cur.decl_line.present && cur.decl_line.u != 0;
    if (cur.name.s) {
      if (!has_line && !cur.origin.present) *flags |= RT_FRAME_ARTIFICIAL;
      return cur.name.s;
    }
    if (!cur.origin.present || cur.origin.u >= (uint64_t)(u->unit_end - u->unit)) return NULL;
    cursor c = {u->unit + cur.origin.u, u->unit_end, false};
    if (!read_die(u, &c, &cur)) return NULL;
  }
  return NULL;
}

// ---- .debug_line (versions 2 to 4) ----

typedef struct {
  const uint8_t* dirs;   // the include_directories table
  const uint8_t* files;  // the file_names table
  const uint8_t* end;    // the unit's end
} line_header;

static void copy(char* dst, size_t n, const char* src) {
  if (!src) src = "?";
  size_t len = strnlen(src, n - 1);
  memcpy(dst, src, len);
  dst[len] = 0;
}

// String `index` (1-based) of a table of strings that ends with an empty one, or NULL.
static const char* nth_string(const uint8_t* table, const uint8_t* end, uint64_t index, bool file_entries,
                              uint64_t* dir) {
  if (!table) return NULL;
  cursor c = {table, end, false};
  for (uint64_t i = 1; i < 100000; i++) {
    const char* s = cstr(&c);
    if (!s || !*s) return NULL;
    uint64_t d = file_entries ? uleb(&c) : 0;
    if (file_entries) {  // time, length
      uleb(&c);
      uleb(&c);
    }
    if (i == index) {
      if (dir) *dir = d;
      return c.bad ? NULL : s;
    }
  }
  return NULL;
}

// File `index` of a line table as the compiler named it: its directory (unless it is the
// compilation's, index 0) joined to its name.
static void file_name(const line_header* h, uint64_t index, char* out, size_t n) {
  uint64_t dir = 0;
  const char* name = nth_string(h->files, h->end, index, true, &dir);
  const char* dir_name = name && name[0] != '/' && dir ? nth_string(h->dirs, h->end, dir, false, NULL) : NULL;
  if (dir_name) {
    size_t len = strnlen(dir_name, n - 1);
    memcpy(out, dir_name, len);
    if (len + 1 < n) out[len++] = '/';
    copy(out + len, n - len, name);
  } else {
    copy(out, n, name);
  }
}

// Finds the row for `addr` in the line table at `offset`; fills `h` for file_name().
static bool find_line(const image* im, uint64_t offset, uint64_t addr, line_header* h, uint64_t* file,
                      uint64_t* line, uint64_t* col) {
  cursor c = at(im->line.data, im->line.size, offset);
  uint64_t len = fixed(&c, 4);
  if (c.bad || len >= 0xfffffff0u || !have(&c, len)) return false;
  const uint8_t* end = c.p + len;
  c.end = end;
  uint16_t version = (uint16_t)fixed(&c, 2);
  if (version < 2 || version > 4) return false;
  uint64_t header_len = fixed(&c, 4);
  if (!have(&c, header_len)) return false;
  const uint8_t* program = c.p + header_len;
  uint8_t min_inst = (uint8_t)fixed(&c, 1);
  if (version >= 4) fixed(&c, 1);  // maximum_operations_per_instruction
  fixed(&c, 1);                    // default_is_stmt
  int8_t line_base = (int8_t)fixed(&c, 1);
  uint8_t line_range = (uint8_t)fixed(&c, 1);
  uint8_t opcode_base = (uint8_t)fixed(&c, 1);
  if (c.bad || line_range == 0 || opcode_base == 0) return false;
  const uint8_t* std_lengths = c.p;
  skip(&c, opcode_base - 1);
  h->dirs = c.p;
  for (;;) {  // include_directories
    const char* dir = cstr(&c);
    if (!dir) return false;
    if (!*dir) break;
  }
  h->files = c.p;
  h->end = end;
  c = (cursor){program, end, program > end};
  uint64_t address = 0, f = 1, l = 1, column = 0;
  bool have_prev = false;
  uint64_t prev_address = 0, prev_file = 0, prev_line = 0, prev_col = 0;
  // A row: the previous row covers [prev_address, address).
#define ROW(end_sequence)                                                                   \
  do {                                                                                      \
    if (have_prev && prev_address <= addr && addr < address) {                              \
      *file = prev_file, *line = prev_line, *col = prev_col;                                \
      return true;                                                                          \
    }                                                                                       \
    have_prev = !(end_sequence);                                                            \
    prev_address = address, prev_file = f, prev_line = l, prev_col = column;                \
  } while (0)
  while (!c.bad && c.p < c.end) {
    uint8_t op = (uint8_t)fixed(&c, 1);
    if (op >= opcode_base) {
      uint8_t adj = op - opcode_base;
      address += (uint64_t)(adj / line_range) * min_inst;
      l += (int64_t)line_base + adj % line_range;
      ROW(false);
      continue;
    }
    switch (op) {
      case 0: {  // extended
        uint64_t n = uleb(&c);
        if (n == 0 || !have(&c, n)) return false;
        const uint8_t* next = c.p + n;
        uint8_t sub = (uint8_t)fixed(&c, 1);
        if (sub == DW_LNE_end_sequence) {
          ROW(true);
          address = 0, f = 1, l = 1, column = 0;
        } else if (sub == DW_LNE_set_address && n == 9) {
          address = fixed(&c, 8);
        }
        c.p = next;
        break;
      }
      case DW_LNS_copy: ROW(false); break;
      case DW_LNS_advance_pc: address += uleb(&c) * min_inst; break;
      case DW_LNS_advance_line: l += (uint64_t)sleb(&c); break;
      case DW_LNS_set_file: f = uleb(&c); break;
      case DW_LNS_set_column: column = uleb(&c); break;
      case DW_LNS_const_add_pc: address += (uint64_t)((255 - opcode_base) / line_range) * min_inst; break;
      case DW_LNS_fixed_advance_pc: address += fixed(&c, 2); break;
      default:
        for (int i = 0; i < std_lengths[op - 1]; i++) uleb(&c);
        break;
    }
  }
#undef ROW
  return false;
}

// ---- the walk ----

enum { kMaxChain = 64 };

typedef struct {
  die d;
  int depth;
} chain_entry;

// Symbolizes `im->addr` within the unit at `c` (its header read): false when the unit does not
// cover it. Static storage: not reentrant (crash reports are serialized by their caller).
static int symbolize_unit(unit* u, cursor* c, rt_frame* frames, int max) {
  static chain_entry chain[kMaxChain];
  die cu;
  if (!read_die(u, c, &cu) || cu.tag != DW_TAG_compile_unit) return 0;
  const char* producer = cu.producer.s;
  if (u->im->producer && (!producer || strncmp(producer, u->im->producer, strlen(u->im->producer)) != 0)) return 0;
  u->base = cu.low_pc.u;
  if ((cu.low_pc.present && cu.high_pc.present) || cu.ranges.present) {
    if (!covers(u, &cu, u->im->addr)) return 0;
  }
  int n = 0, depth = cu.children ? 1 : 0;
  while (depth > 0 && !c->bad && c->p < u->unit_end) {
    die d;
    if (!read_die(u, c, &d)) {
      if (c->bad) break;
      depth--;  // a null entry closes the children
      if (n > 0 && depth <= chain[0].depth) break;  // left the subprogram that covers addr
      continue;
    }
    if (n > 0 && depth <= chain[0].depth) break;  // a sibling of the subprogram that covers addr
    if ((d.tag == DW_TAG_subprogram || d.tag == DW_TAG_inlined_subroutine) && covers(u, &d, u->im->addr) &&
        (n > 0 || d.tag == DW_TAG_subprogram)) {
      // A covering entry replaces any at its depth or deeper (never a non-covering sibling that
      // comes after a covering one: that dropped inlined frames whose later siblings were read).
      while (n > 0 && chain[n - 1].depth >= depth) n--;
      if (n < kMaxChain) chain[n++] = (chain_entry){d, depth};
    }
    if (d.children) depth++;
  }
  if (n == 0) return 0;
  uint64_t file = 0, line = 0, col = 0;
  line_header h = {NULL, NULL, NULL};
  if (!cu.stmt_list.present || !find_line(u->im, cu.stmt_list.u, u->im->addr, &h, &file, &line, &col)) {
    // No row: the function, without a place.
    file = line = col = 0;
  }
  int out = 0;
  for (int i = n - 1; i >= 0 && out < max; i--) {
    rt_frame* f = &frames[out++];
    f->flags = 0;
    copy(f->function, sizeof f->function, die_name(u, &chain[i].d, &f->flags));
    copy(f->file, sizeof f->file, NULL);
    if (file) file_name(&h, file, f->file, sizeof f->file);
    f->line = (int)line;
    f->col = (int)col;
    // The next frame out is at this one's call site.
    file = chain[i].d.call_file.u;
    line = chain[i].d.call_line.u;
    col = chain[i].d.call_column.u;
  }
  return out;
}

int rt_backtrace_symbolize_elf(const void* elf, size_t size, uint64_t addr, const char* producer, rt_frame* frames,
                               int max) {
  static abbrev_table abbrevs;
  image im;
  memset(&im, 0, sizeof im);
  if (!elf || max <= 0 || !find_sections(elf, size, &im)) return 0;
  im.addr = addr;
  im.producer = producer;
  uint64_t offset = 0;
  while (offset + 11 <= im.info.size) {
    cursor c = at(im.info.data, im.info.size, offset);
    uint64_t len = fixed(&c, 4);
    if (len >= 0xfffffff0u || !have(&c, len)) return 0;  // 64-bit DWARF or truncated: stop
    const uint8_t* unit_end = c.p + len;
    offset = (uint64_t)(unit_end - im.info.data);
    c.end = unit_end;
    uint16_t version = (uint16_t)fixed(&c, 2);
    if (version != 4) continue;  // Fusion writes DWARF 4; C code's DWARF 5 is not ours
    uint64_t abbrev_offset = fixed(&c, 4);
    if (fixed(&c, 1) != 8 || c.bad || !read_abbrevs(&im, abbrev_offset, &abbrevs)) continue;
    unit u = {&im, unit_end - len - 4, unit_end, &abbrevs, 0};
    int n = symbolize_unit(&u, &c, frames, max);
    if (n > 0) return n;
  }
  return 0;
}
