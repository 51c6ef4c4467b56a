/*
 * parser.y — the grammar of .nt files (spec/language.md) -> a small syntax tree for sema.c.
 *
 * A pure bison parser fed by the reentrant flex lexer of lexer.l; the state of one parse (nt_parse)
 * is shared by both. The tree is deliberately thin: one node kind per construct, numbers kept as
 * written, every check left to sema.c, which sees the whole type at once (items may come in any
 * order). Syntax errors are reported by yyreport_syntax_error below in the compiler's own format;
 * recovery resumes at the next ';' or '}', so one run reports several errors. A type in which a
 * syntax or lexical error occurred is marked broken and not checked further: its semantic errors
 * would mostly be echoes of the syntax error.
 *
 * Every grammar rule carries its rule from the spec as a comment.
 */

%code requires {
#include "ntc.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* A source span: bison's four position fields, plus byte offsets so messages can quote the text. */
typedef struct nt_span {
    int first_line, first_column;
    int last_line, last_column;     /* the position just after the last character */
    size_t first_off, last_off;     /* byte offsets; last_off is one past the last byte */
} nt_span;

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).first_line = YYRHSLOC(Rhs, 1).first_line;          \
            (Cur).first_column = YYRHSLOC(Rhs, 1).first_column;      \
            (Cur).first_off = YYRHSLOC(Rhs, 1).first_off;            \
            (Cur).last_line = YYRHSLOC(Rhs, N).last_line;            \
            (Cur).last_column = YYRHSLOC(Rhs, N).last_column;        \
            (Cur).last_off = YYRHSLOC(Rhs, N).last_off;              \
        } else {                                                     \
            (Cur).first_line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line;       \
            (Cur).first_column = (Cur).last_column = YYRHSLOC(Rhs, 0).last_column; \
            (Cur).first_off = (Cur).last_off = YYRHSLOC(Rhs, 0).last_off;          \
        }                                                            \
    } while (0)

/* ---- the syntax tree */

typedef enum {
    NT_N_TYPE,      /* type NAME { kids: items }                                    */
    NT_N_WORD,      /* word num;                                                    */
    NT_N_FIELD,     /* field name = slice;                                          */
    NT_N_CODE,      /* code kids: BITREF, ...;                                      */
    NT_N_BITREF,    /* name, or name slice (has_slice)                              */
    NT_N_CODES,     /* codes { kids: CODEDEF ... }                                  */
    NT_N_CODEDEF,   /* num: kids: attributes;                                       */
    NT_N_WORDS,     /* words num .. num2                                            */
    NT_N_BITS,      /* bits num                                                     */
    NT_N_VALUE,     /* value val                                                    */
    NT_N_RANGE,     /* range [val, val2)                                            */
    NT_N_SIGN,      /* sign +/-: sub = +1 or -1                                     */
    NT_N_NAN,       /* nan                                                          */
    NT_N_INF,       /* inf, +inf, -inf: sub = 0, +1 or -1                           */
    NT_N_MODEL,     /* model static [kids: COUNTS] | adaptive [block num]: sub = NT_MODEL_* */
    NT_N_COUNTS,    /* counts { kids: COUNT, ... }                                  */
    NT_N_COUNT,     /* num: val                                                     */
    NT_N_CODER,     /* coder tans|rans kids: OPT ...: sub = NT_CODER_*              */
    NT_N_OPT,       /* table_log|prob_bits|lanes num: sub = NT_OPT_*                */
    NT_N_FORMAT,    /* format name (args) options: kids: ARG ..., then FOPT ...     */
    NT_N_BRIDGE,    /* bridge name (args): kids: ARG ...                            */
    NT_N_ARG,       /* num (an argument), or name (an option's value)               */
    NT_N_FOPT       /* name num (sub = -1 if written negative) or name kids: ARG    */
} nt_node_kind;

enum { NT_OPT_TABLE_LOG, NT_OPT_PROB_BITS, NT_OPT_LANES };

typedef struct {
    uint64_t hi, lo;        /* [hi] has lo == hi */
    int single;             /* written [hi] */
    nt_loc loc;             /* the '[' */
    nt_loc lo_loc;          /* the second number, or the first for [hi] */
} nt_slice;

typedef struct nt_node {
    nt_node_kind kind;
    nt_loc loc;             /* the construct's first token */
    struct nt_node *next;   /* next in the list it belongs to */
    struct nt_node *kids;   /* items, bit refs, code defs, attributes, counts, coder options */
    char *name;             /* TYPE, FIELD, BITREF */
    nt_loc name_loc;
    nt_slice slice;         /* FIELD; BITREF when has_slice */
    int has_slice;
    int sub;                /* see nt_node_kind */
    uint64_t num, num2;
    nt_loc num_loc, num2_loc;
    int has_num;            /* MODEL adaptive: block given */
    double val, val2;
    nt_loc val_loc, val2_loc;
    int broken;             /* TYPE: a syntax or lexical error occurred inside it */
} nt_node;

/* ---- the state of one parse, shared by the lexer (its "extra") and the parser */

typedef struct nt_parse {
    nt_diag *d;
    nt_node *types, **tail;     /* the type definitions, in order */

    /* lexer */
    int line, col;              /* position of the next character */
    size_t off;
    int ntok;                   /* tokens returned so far */
    nt_span cur, prev;          /* the last token returned (the parser's lookahead) and the one before */
    size_t cur_stmt, prev_stmt; /* where the statement of cur / prev starts (byte offset) */
    int cur_sep, prev_sep;      /* the token is ';', '{' or '}' (or there is none yet) */
    int depth;                  /* '{' nesting */
    nt_span open_brace;         /* the outermost '{' still open */

    /* errors */
    int have_err;
    size_t last_err_off;        /* where the last syntax or lexical error was */
} nt_parse;
}

%code provides {
int yylex(YYSTYPE *lvalp, YYLTYPE *llocp, yyscan_t scanner);

/* Parses a whole source; returns its type definitions (a list through ->next), also when there
 * were errors. Free with nt_node_free. */
nt_node *nt_parse_source(nt_diag *d, const char *src, size_t len);
void nt_node_free(nt_node *n);

/* For the lexer: an error at a span, remembered so the enclosing type is marked broken. */
void nt_parse_error(nt_parse *ps, nt_span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
nt_loc nt_span_loc(const nt_parse *ps, nt_span s);
}

%code {
#include "lexer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void yyerror(const YYLTYPE *loc, yyscan_t scanner, nt_parse *ps, const char *msg);

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        nt_fatal("out of memory");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xcalloc(n, 1), s, n);
}

nt_loc nt_span_loc(const nt_parse *ps, nt_span s)
{
    nt_loc l = { ps->d->file, s.first_line, s.first_column };
    return l;
}

static nt_node *new_node(nt_parse *ps, nt_node_kind kind, nt_span at)
{
    nt_node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    n->loc = nt_span_loc(ps, at);
    return n;
}

/* Lists are built backwards (O(1) per element, however long the input) and turned round once. */
static nt_node *push(nt_node *list, nt_node *n)
{
    n->next = list;
    return n;
}

static nt_node *reverse(nt_node *list)
{
    nt_node *out = NULL;
    while (list) {
        nt_node *next = list->next;
        list->next = out;
        out = list;
        list = next;
    }
    return out;
}

static nt_node *type_node(nt_parse *ps, nt_span whole, char *name, nt_span name_at, nt_node *items,
                          int broken)
{
    nt_node *n = new_node(ps, NT_N_TYPE, whole);
    n->name = name;
    n->name_loc = nt_span_loc(ps, name_at);
    n->kids = reverse(items);
    n->broken = broken || (ps->have_err && ps->last_err_off >= whole.first_off
                           && ps->last_err_off < whole.last_off);
    return n;
}

static nt_node *num_node(nt_parse *ps, nt_node_kind kind, nt_span at, uint64_t num, nt_span num_at)
{
    nt_node *n = new_node(ps, kind, at);
    n->num = num;
    n->num_loc = nt_span_loc(ps, num_at);
    return n;
}

static nt_node *val_node(nt_parse *ps, nt_node_kind kind, nt_span at, double val, nt_span val_at)
{
    nt_node *n = new_node(ps, kind, at);
    n->val = val;
    n->val_loc = nt_span_loc(ps, val_at);
    return n;
}

static nt_slice make_slice(nt_parse *ps, nt_span at, uint64_t hi, uint64_t lo, nt_span lo_at, int single)
{
    nt_slice s;
    s.hi = hi;
    s.lo = lo;
    s.single = single;
    s.loc = nt_span_loc(ps, at);
    s.lo_loc = nt_span_loc(ps, lo_at);
    return s;
}
}

%define api.pure full
%define api.location.type {nt_span}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%parse-param {yyscan_t scanner} {nt_parse *ps}
%lex-param {yyscan_t scanner}

%initial-action {
    @$.first_line = @$.last_line = 1;
    @$.first_column = @$.last_column = 1;
    @$.first_off = @$.last_off = 0;
}

%union {
    uint64_t num;
    double real;
    char *str;
    const char *kw;         /* a keyword's text (static); keywords may serve as names */
    nt_node *node;
    nt_slice slice;
}

/* Keywords first and together: yyreport_syntax_error tells them apart by their names. */
%token <kw> K_TYPE "type" K_WORD "word" K_FIELD "field" K_CODE "code" K_CODES "codes"
            K_MODEL "model" K_STATIC "static" K_ADAPTIVE "adaptive" K_BLOCK "block"
            K_COUNTS "counts" K_CODER "coder" K_TANS "tans" K_RANS "rans"
            K_TABLE_LOG "table_log" K_PROB_BITS "prob_bits" K_LANES "lanes"
            K_WORDS "words" K_BITS "bits" K_VALUE "value" K_RANGE "range" K_NAN "nan"
            K_INF "inf" K_SIGN "sign" K_FORMAT "format" K_BRIDGE "bridge"
%token <str> NAME "name"
%token <num> INT "integer"
%token <real> REAL "real number"
%token DOTDOT ".."
%token YYEOF 0 "end of file"

%type <str> name
%type <kw> keyword
%type <node> type_def items item bit_refs bit_ref code_defs code_def code_attrs code_attr counts
%type <node> count_list count coder_opts coder_opt args int_list fopts fopt
%type <slice> slice
%type <real> signed_real number

%destructor { free($$); } <str>
%destructor { nt_node_free($$); } <node>

%%

/* file := type_def+    (an empty file is reported by sema) */
file:
    %empty
  | file type_def           { *ps->tail = $2; ps->tail = &$2->next; }
  | file error type_def     { *ps->tail = $3; ps->tail = &$3->next; }  /* resume at the next 'type' */
  ;

/* type_def := 'type' NAME '{' item* '}' */
type_def:
    "type" name '{' items '}'         { $$ = type_node(ps, @$, $2, @2, $4, 0); }
  | "type" name '{' items error '}'   { $$ = type_node(ps, @$, $2, @2, $4, 1); }
  ;

/* item*    (recovering at ';': the next statement is checked again) */
items:
    %empty                  { $$ = NULL; }
  | items item              { $$ = push($1, $2); }
  | items error ';'         { $$ = $1; yyerrok; }  /* report the next error too */
  ;

item:
    /* item := 'word' INT ';' */
    "word" INT ';'
        { $$ = num_node(ps, NT_N_WORD, @1, $2, @2); }
    /* item := 'field' NAME '=' slice ';' */
  | "field" name '=' slice ';'
        { $$ = new_node(ps, NT_N_FIELD, @1); $$->name = $2; $$->name_loc = nt_span_loc(ps, @2);
          $$->slice = $4; $$->has_slice = 1; }
    /* item := 'code' bit_ref (',' bit_ref)* ';' */
  | "code" bit_refs ';'
        { $$ = new_node(ps, NT_N_CODE, @1); $$->kids = reverse($2); }
    /* item := 'codes' '{' code_def* '}' */
  | "codes" '{' code_defs '}'
        { $$ = new_node(ps, NT_N_CODES, @1); $$->kids = reverse($3); }
  | "codes" '{' code_defs error '}'
        { $$ = new_node(ps, NT_N_CODES, @1); $$->kids = reverse($3); }
    /* item := 'model' 'static' counts? ';' */
  | "model" "static" ';'
        { $$ = new_node(ps, NT_N_MODEL, @1); $$->sub = NT_MODEL_STATIC; }
  | "model" "static" counts ';'
        { $$ = new_node(ps, NT_N_MODEL, @1); $$->sub = NT_MODEL_STATIC; $$->kids = $3; }
    /* item := 'model' 'adaptive' ('block' INT)? ';' */
  | "model" "adaptive" ';'
        { $$ = new_node(ps, NT_N_MODEL, @1); $$->sub = NT_MODEL_ADAPTIVE; }
  | "model" "adaptive" "block" INT ';'
        { $$ = num_node(ps, NT_N_MODEL, @1, $4, @4); $$->sub = NT_MODEL_ADAPTIVE; $$->has_num = 1; }
    /* item := 'coder' ('tans' | 'rans') coder_opt* ';' */
  | "coder" "tans" coder_opts ';'
        { $$ = new_node(ps, NT_N_CODER, @1); $$->sub = NT_CODER_TANS; $$->kids = reverse($3); }
  | "coder" "rans" coder_opts ';'
        { $$ = new_node(ps, NT_N_CODER, @1); $$->sub = NT_CODER_RANS; $$->kids = reverse($3); }
    /* item := 'format' NAME args format_opt* ';' */
  | "format" name args fopts ';'
        { $$ = new_node(ps, NT_N_FORMAT, @1); $$->name = $2; $$->name_loc = nt_span_loc(ps, @2);
          $$->kids = reverse($3);
          nt_node **tail = &$$->kids;
          while (*tail)
              tail = &(*tail)->next;
          *tail = reverse($4); }
    /* item := 'bridge' NAME args ';' */
  | "bridge" name args ';'
        { $$ = new_node(ps, NT_N_BRIDGE, @1); $$->name = $2; $$->name_loc = nt_span_loc(ps, @2);
          $$->kids = reverse($3); }
  ;

/* slice := '[' INT ']' | '[' INT ':' INT ']' */
slice:
    '[' INT ']'             { $$ = make_slice(ps, @1, $2, $2, @2, 1); }
  | '[' INT ':' INT ']'     { $$ = make_slice(ps, @1, $2, $4, @4, 0); }
  ;

/* bit_ref (',' bit_ref)* */
bit_refs:
    bit_ref                 { $$ = $1; }
  | bit_refs ',' bit_ref    { $$ = push($1, $3); }
  ;

/* bit_ref := NAME | NAME slice */
bit_ref:
    name                    { $$ = new_node(ps, NT_N_BITREF, @1); $$->name = $1; $$->name_loc = $$->loc; }
  | name slice              { $$ = new_node(ps, NT_N_BITREF, @1); $$->name = $1; $$->name_loc = $$->loc;
                              $$->slice = $2; $$->has_slice = 1; }
  ;

/* code_def*    (recovering at ';') */
code_defs:
    %empty                  { $$ = NULL; }
  | code_defs code_def      { $$ = push($1, $2); }
  | code_defs error ';'     { $$ = $1; yyerrok; }
  ;

/* code_def := INT ':' code_attr (',' code_attr)* ';' */
code_def:
    INT ':' code_attrs ';'  { $$ = num_node(ps, NT_N_CODEDEF, @1, $1, @1); $$->kids = reverse($3); }
  ;

/* code_attr (',' code_attr)* */
code_attrs:
    code_attr                   { $$ = $1; }
  | code_attrs ',' code_attr    { $$ = push($1, $3); }
  ;

code_attr:
    /* code_attr := 'words' INT '..' INT */
    "words" INT ".." INT
        { $$ = num_node(ps, NT_N_WORDS, @1, $2, @2); $$->num2 = $4; $$->num2_loc = nt_span_loc(ps, @4); }
    /* code_attr := 'bits' INT */
  | "bits" INT              { $$ = num_node(ps, NT_N_BITS, @1, $2, @2); }
    /* code_attr := 'value' signed_real */
  | "value" signed_real     { $$ = val_node(ps, NT_N_VALUE, @1, $2, @2); }
    /* code_attr := 'range' '[' signed_real ',' signed_real ')' */
  | "range" '[' signed_real ',' signed_real ')'
        { $$ = val_node(ps, NT_N_RANGE, @1, $3, @3); $$->val2 = $5; $$->val2_loc = nt_span_loc(ps, @5); }
    /* code_attr := 'sign' ('+' | '-') */
  | "sign" '+'              { $$ = new_node(ps, NT_N_SIGN, @1); $$->sub = +1; }
  | "sign" '-'              { $$ = new_node(ps, NT_N_SIGN, @1); $$->sub = -1; }
    /* code_attr := 'nan' */
  | "nan"                   { $$ = new_node(ps, NT_N_NAN, @1); }
    /* code_attr := ('+' | '-')? 'inf' */
  | "inf"                   { $$ = new_node(ps, NT_N_INF, @1); $$->sub = 0; }
  | '+' "inf"               { $$ = new_node(ps, NT_N_INF, @1); $$->sub = +1; }
  | '-' "inf"               { $$ = new_node(ps, NT_N_INF, @1); $$->sub = -1; }
  ;

/* counts := 'counts' '{' (INT ':' signed_real (',' INT ':' signed_real)* ','?)? '}' */
counts:
    "counts" '{' '}'                { $$ = new_node(ps, NT_N_COUNTS, @1); }
  | "counts" '{' count_list '}'     { $$ = new_node(ps, NT_N_COUNTS, @1); $$->kids = reverse($3); }
  | "counts" '{' count_list ',' '}' { $$ = new_node(ps, NT_N_COUNTS, @1); $$->kids = reverse($3); }
  | "counts" '{' error '}'          { $$ = new_node(ps, NT_N_COUNTS, @1); }
  ;

/* INT ':' signed_real (',' INT ':' signed_real)* */
count_list:
    count                   { $$ = $1; }
  | count_list ',' count    { $$ = push($1, $3); }
  ;

/* INT ':' signed_real */
count:
    INT ':' signed_real     { $$ = num_node(ps, NT_N_COUNT, @1, $1, @1); $$->val = $3;
                              $$->val_loc = nt_span_loc(ps, @3); }
  ;

/* coder_opt* */
coder_opts:
    %empty                  { $$ = NULL; }
  | coder_opts coder_opt    { $$ = push($1, $2); }
  ;

/* coder_opt := 'table_log' INT | 'prob_bits' INT | 'lanes' INT */
coder_opt:
    "table_log" INT         { $$ = num_node(ps, NT_N_OPT, @1, $2, @2); $$->sub = NT_OPT_TABLE_LOG; }
  | "prob_bits" INT         { $$ = num_node(ps, NT_N_OPT, @1, $2, @2); $$->sub = NT_OPT_PROB_BITS; }
  | "lanes" INT             { $$ = num_node(ps, NT_N_OPT, @1, $2, @2); $$->sub = NT_OPT_LANES; }
  ;

/* signed_real := ('+' | '-')? number */
signed_real:
    number                  { $$ = $1; }
  | '+' number              { $$ = $2; }
  | '-' number              { $$ = -$2; }
  ;

/* number := INT | REAL */
number:
    INT                     { $$ = (double)$1; }
  | REAL                    { $$ = $1; }
  ;

/* (These come last: bison numbers character tokens by first use, and the order of the
 * tokens in "expected ..." messages follows it.)
 * args := ('(' INT (',' INT)* ')')?    (built backwards) */
args:
    %empty                  { $$ = NULL; }
  | '(' int_list ')'        { $$ = $2; }
  ;

int_list:
    INT                     { $$ = num_node(ps, NT_N_ARG, @1, $1, @1); }
  | int_list ',' INT        { $$ = push($1, num_node(ps, NT_N_ARG, @3, $3, @3)); }
  ;

/* format_opt* */
fopts:
    %empty                  { $$ = NULL; }
  | fopts fopt              { $$ = push($1, $2); }
  ;

/* format_opt := NAME ('-'? INT | NAME) */
fopt:
    name INT                { $$ = num_node(ps, NT_N_FOPT, @1, $2, @2); $$->name = $1; $$->name_loc = $$->loc;
                              $$->has_num = 1; $$->sub = 1; }
  | name '-' INT            { $$ = num_node(ps, NT_N_FOPT, @1, $3, @2); $$->name = $1; $$->name_loc = $$->loc;
                              $$->has_num = 1; $$->sub = -1; }
  | name name               { $$ = new_node(ps, NT_N_FOPT, @1); $$->name = $1; $$->name_loc = $$->loc;
                              $$->kids = new_node(ps, NT_N_ARG, @2); $$->kids->name = $2;
                              $$->kids->name_loc = $$->kids->loc; }
  ;

/* NAME := a name or a keyword: keywords are reserved only where they are keywords, so a field
 * may be called 'sign'. */
name:
    NAME                    { $$ = $1; }
  | keyword                 { $$ = xstrdup($1); }
  ;

/* keyword := 'type' | 'word' | ... | 'sign' | 'format' | 'bridge' */
keyword:
    "type" | "word" | "field" | "code" | "codes" | "model" | "static" | "adaptive" | "block"
  | "counts" | "coder" | "tans" | "rans" | "table_log" | "prob_bits" | "lanes" | "words" | "bits"
  | "value" | "range" | "nan" | "inf" | "sign" | "format" | "bridge"
  ;

%%

void nt_node_free(nt_node *n)
{
    while (n) {
        nt_node *next = n->next;
        nt_node_free(n->kids);  /* nesting is at most four deep: type, codes, code, attribute */
        free(n->name);
        free(n);
        n = next;
    }
}

void nt_parse_error(nt_parse *ps, nt_span at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps->have_err = 1;
    ps->last_err_off = at.first_off;
    nt_error(ps->d, nt_span_loc(ps, at), "%s", msg);
}

static void yyerror(const YYLTYPE *loc, yyscan_t scanner, nt_parse *ps, const char *msg)
{
    (void)scanner;
    nt_parse_error(ps, *loc, "%s", msg);
}

/* ---- syntax error messages: "expected X or Y after 'field sign', found '['" */

/* Appends at most max bytes of src[a, b) to buf, as a quoted excerpt. */
static void quote_text(char *buf, size_t size, const char *src, size_t a, size_t b)
{
    size_t n = b - a, max = 40;
    const char *dots = "";
    if (n > max) {
        n = max - 3;
        dots = "...";
    }
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "'%.*s%s'", (int)n, src + a, dots);
}

/* Is the text between a and b on one line and short enough to quote whole? */
static int quotable(const char *src, size_t a, size_t b)
{
    if (b <= a || b - a > 40)
        return 0;
    for (size_t i = a; i < b; i++)
        if (src[i] == '\n')
            return 0;
    return 1;
}

static int is_keyword_name(const char *name)
{
    /* yysymbol_name gives keywords as bare lower-case words; "name" and "integer" are not keywords. */
    if (!strcmp(name, "name") || !strcmp(name, "integer"))
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return 0;
    return 1;
}

static void append(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s", s);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, nt_parse *ps)
{
    (void)scanner;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0)
        return n;
    yysymbol_kind_t la = yypcontext_token(ctx);
    const char *src = ps->d->src;

    /* What was expected, in words. A name may be any keyword too: say "a name", not every keyword. */
    int want_name = 0, want_int = 0, want_real = 0, want_semi = 0;
    for (int i = 0; i < n; i++) {
        const char *s = yysymbol_name(exp[i]);
        want_name |= !strcmp(s, "name");
        want_int |= !strcmp(s, "integer");
        want_real |= !strcmp(s, "real number");
        want_semi |= !strcmp(s, "';'");
    }
    const char *items[YYNTOKENS];
    int nitems = 0;
    char quoted[YYNTOKENS][24];
    for (int i = 0; i < n; i++) {
        const char *s = yysymbol_name(exp[i]);
        if (!strcmp(s, "name"))
            items[nitems++] = "a name";
        else if (!strcmp(s, "integer"))
            items[nitems++] = want_real ? "a number" : "an integer";
        else if (!strcmp(s, "real number")) {
            if (!want_int)
                items[nitems++] = "a number";
        } else if (!strcmp(s, "end of file")) {
            if (n == 1)  /* "expected 'type', found '{'" reads better without "end of file or" */
                items[nitems++] = "end of file";
        } else if (want_name && is_keyword_name(s))
            continue;
        else if (s[0] != '\'') {  /* word -> 'word' */
            snprintf(quoted[i], sizeof quoted[i], "'%s'", s);
            items[nitems++] = quoted[i];
        } else
            items[nitems++] = s;  /* a character token, already written ';' */
    }

    /* The statement so far, to say "after 'field sign'"; nothing if the lookahead starts one. */
    char ctxbuf[64] = "";
    int have_prev = ps->ntok >= 2 && !ps->prev_sep && src;
    if (have_prev) {
        if (quotable(src, ps->prev_stmt, ps->prev.last_off))
            quote_text(ctxbuf, sizeof ctxbuf, src, ps->prev_stmt, ps->prev.last_off);
        else
            quote_text(ctxbuf, sizeof ctxbuf, src, ps->prev.first_off, ps->prev.last_off);
    }

    char msg[1024] = "expected ";
    int at_eof = la == YYSYMBOL_YYEOF;
    nt_span at = *yypcontext_location(ctx);
    if (want_semi && have_prev && (at_eof || at.first_line > ps->prev.last_line)) {
        /* The usual slip, a ';' missing at the end of a line: point just after the statement. */
        append(msg, sizeof msg, "';' after ");
        append(msg, sizeof msg, ctxbuf);
        at = ps->prev;
        at.first_line = at.last_line;
        at.first_column = at.last_column;
    } else {
        for (int i = 0; i < nitems; i++) {
            if (i > 0)
                append(msg, sizeof msg, i == nitems - 1 ? " or " : ", ");
            append(msg, sizeof msg, items[i]);
        }
        if (have_prev) {
            append(msg, sizeof msg, " after ");
            append(msg, sizeof msg, ctxbuf);
        }
        append(msg, sizeof msg, ", found ");
        if (at_eof || !src)
            append(msg, sizeof msg, at_eof ? "end of file" : "something else");
        else
            quote_text(msg, sizeof msg, src, at.first_off, at.last_off);
    }
    ps->have_err = 1;
    ps->last_err_off = yypcontext_location(ctx)->first_off;
    nt_error(ps->d, nt_span_loc(ps, at), "%s", msg);
    if (at_eof && ps->depth > 0)
        nt_note(ps->d, nt_span_loc(ps, ps->open_brace), "unclosed '{' is here");
    return 0;
}

nt_node *nt_parse_source(nt_diag *d, const char *src, size_t len)
{
    nt_parse ps;
    memset(&ps, 0, sizeof ps);
    ps.d = d;
    ps.tail = &ps.types;
    ps.line = ps.col = 1;
    ps.cur_sep = 1;  /* the start of the file begins a statement */
    ps.cur.first_line = ps.cur.last_line = 1;
    ps.cur.first_column = ps.cur.last_column = 1;
    if (len > 0x7fffffff) {
        nt_fatal("'%s' is too large", d->file ? d->file : "input");
        d->errors++;
        return NULL;
    }
    yyscan_t scanner;
    if (yylex_init_extra(&ps, &scanner) != 0) {
        nt_fatal("out of memory");
        d->errors++;
        return NULL;
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(src ? src : "", (int)len, scanner);
    yyparse(scanner, &ps);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    return ps.types;
}
