/*
 * sema.c — semantic analysis: the syntax tree of parser.y -> the IR (one nt_type, a code table, per
 * type), with every check of spec/language.md; and the IR helpers nt_word_code / nt_word_join.
 *
 * Items of a type may come in any order, so a type is lowered in passes: collect the items, then
 * the word, the fields, the coding pair (split form from 'code', table form from 'codes'), the
 * model and the coder, and last the counts, which need the number of codes. Errors point at the
 * offending token; lowering goes on after an error as far as the later checks still make sense,
 * and a type with errors is dropped.
 */
#include "ntc.h"
#include "parser.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NT_DEFAULT_TABLE_LOG 11
#define NT_DEFAULT_PROB_BITS 12     /* rANS: 2^12 slots hold all NT_MAX_CODES codes */
#define NT_DEFAULT_LANES 4

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

/* The largest storage word of a `bits`-bit word. */
static uint64_t word_max(int bits)
{
    return bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
}

/* 2^raw - 1: the offset of the last word a code with `raw` raw bits covers. */
static uint64_t run_span(int raw)
{
    return raw >= 64 ? UINT64_MAX : ((uint64_t)1 << raw) - 1;
}

static const char *slice_text(char *buf, size_t size, uint64_t hi, uint64_t lo)
{
    if (hi == lo)
        snprintf(buf, size, "[%" PRIu64 "]", hi);
    else
        snprintf(buf, size, "[%" PRIu64 ":%" PRIu64 "]", hi, lo);
    return buf;
}

/* "word 5" or "words 0x7f80..0x7fff": hexadecimal for words wider than a byte, as people write them. */
static const char *words_text(char *buf, size_t size, int word_bits, uint64_t a, uint64_t b)
{
    const char *fmt1 = word_bits >= 8 ? "word 0x%" PRIx64 : "word %" PRIu64;
    const char *fmt2 = word_bits >= 8 ? "words 0x%" PRIx64 "..0x%" PRIx64 : "words %" PRIu64 "..%" PRIu64;
    if (a == b)
        snprintf(buf, size, fmt1, a);
    else
        snprintf(buf, size, fmt2, a, b);
    return buf;
}

/* ---------------------------------------------------------------- one type */

typedef struct {
    nt_diag *d;
    nt_type *t;
    const nt_node *tn;
    const nt_node *word, *code, *codes, *model, *coder, *format, *bridge;
    const char *bad_fields[NT_MAX_FIELDS];  /* fields with errors: no "unknown field" for them */
    int nbad_fields;
} lower;

static void duplicate_item(lower *L, const nt_node *again, const nt_node *first, const char *what)
{
    nt_error(L->d, again->loc, "type '%s' has more than one '%s'", L->t->name, what);
    nt_note(L->d, first->loc, "the first '%s' is here", what);
}

static void collect_items(lower *L)
{
    for (const nt_node *it = L->tn->kids; it; it = it->next) {
        switch (it->kind) {
        case NT_N_WORD:
            if (L->word)
                duplicate_item(L, it, L->word, "word");
            else
                L->word = it;
            break;
        case NT_N_CODE:
        case NT_N_CODES: {
            const nt_node **slot = it->kind == NT_N_CODE ? &L->code : &L->codes;
            const nt_node *other = it->kind == NT_N_CODE ? L->codes : L->code;
            if (*slot)
                duplicate_item(L, it, *slot, it->kind == NT_N_CODE ? "code" : "codes");
            else if (other) {
                nt_error(L->d, it->loc, "type '%s' has both 'code' and 'codes'; it needs exactly one",
                         L->t->name);
                nt_note(L->d, other->loc, "'%s' is here", other->kind == NT_N_CODE ? "code" : "codes");
            } else
                *slot = it;
            break;
        }
        case NT_N_FORMAT:
        case NT_N_BRIDGE: {
            const nt_node **slot = it->kind == NT_N_FORMAT ? &L->format : &L->bridge;
            if (*slot)
                duplicate_item(L, it, *slot, it->kind == NT_N_FORMAT ? "format" : "bridge");
            else
                *slot = it;
            break;
        }
        case NT_N_MODEL:
            if (L->model)
                duplicate_item(L, it, L->model, "model");
            else
                L->model = it;
            break;
        case NT_N_CODER:
            if (L->coder)
                duplicate_item(L, it, L->coder, "coder");
            else
                L->coder = it;
            break;
        default:
            break;
        }
    }
    if (L->format) {
        /* the format gives the word and the codes: anything else saying so would be a second truth */
        const nt_node *other[3] = { L->word, L->code, L->codes };
        for (int i = 0; i < 3; i++)
            if (other[i]) {
                const char *what = i == 0 ? "word" : i == 1 ? "code" : "codes";
                nt_error(L->d, other[i]->loc, "type '%s' has 'format', which gives its %s; remove '%s'",
                         L->t->name, i == 0 ? "word" : "codes", what);
                nt_note(L->d, L->format->loc, "'format' is here");
            }
        L->word = L->code = L->codes = NULL;
        return;
    }
    if (!L->word)
        nt_error(L->d, L->t->loc, "type '%s' has no 'word' (its storage width, as in 'word 16;')", L->t->name);
    if (!L->code && !L->codes)
        nt_error(L->d, L->t->loc,
                 "type '%s' has no 'code' or 'codes' (which bits are entropy coded, as in 'code exponent;')",
                 L->t->name);
}

static void check_word(lower *L)
{
    if (!L->word)
        return;
    if (L->word->num < 1 || L->word->num > NT_MAX_WORD_BITS) {
        nt_error(L->d, L->word->num_loc, "word width must be 1 to %d bits, not %" PRIu64, NT_MAX_WORD_BITS,
                 L->word->num);
        return;
    }
    L->t->word_bits = (int)L->word->num;
}

static int find_field(const nt_type *t, const char *name)
{
    for (int i = 0; i < t->nfields; i++)
        if (!strcmp(t->fields[i].name, name))
            return i;
    return -1;
}

static void bad_field(lower *L, const char *name)
{
    if (L->nbad_fields < NT_MAX_FIELDS)
        L->bad_fields[L->nbad_fields++] = name;
}

/* Fields: names unique, [hi:lo] with hi >= lo, inside the word, not overlapping. */
static void check_fields(lower *L)
{
    nt_type *t = L->t;
    int wb = t->word_bits;
    uint64_t used = 0;
    int seen = 0;
    for (const nt_node *f = L->tn->kids; f; f = f->next) {
        if (f->kind != NT_N_FIELD)
            continue;
        char sl[64];
        slice_text(sl, sizeof sl, f->slice.hi, f->slice.lo);
        if (++seen > NT_MAX_FIELDS) {
            nt_error(L->d, f->loc, "too many fields (at most %d)", NT_MAX_FIELDS);
            return;
        }
        int prev = find_field(t, f->name);
        int dup = prev >= 0;
        for (int i = 0; i < L->nbad_fields && !dup; i++)
            dup = !strcmp(L->bad_fields[i], f->name);
        if (dup) {
            nt_error(L->d, f->name_loc, "field '%s' is defined twice", f->name);
            if (prev >= 0)
                nt_note(L->d, t->fields[prev].loc, "the first '%s' is here", f->name);
            continue;
        }
        if (f->slice.hi < f->slice.lo) {
            char want[64];
            nt_error(L->d, f->slice.loc, "slice %s of field '%s' is reversed: the high bit comes first, as in %s", sl,
                     f->name, slice_text(want, sizeof want, f->slice.lo, f->slice.hi));
            bad_field(L, f->name);
            continue;
        }
        if (wb == 0) {  /* no valid word: the fields cannot be placed */
            bad_field(L, f->name);
            continue;
        }
        if (f->slice.hi >= (uint64_t)wb) {
            nt_error(L->d, f->slice.loc, "field '%s' = %s does not fit in the %d-bit word (bits %d to 0)", f->name,
                     sl, wb, wb - 1);
            bad_field(L, f->name);
            continue;
        }
        int hi = (int)f->slice.hi, lo = (int)f->slice.lo;
        uint64_t mask = word_max(hi - lo + 1) << lo;
        if (used & mask) {
            for (int i = 0; i < t->nfields; i++) {
                nt_field *g = &t->fields[i];
                if (word_max(g->hi - g->lo + 1) << g->lo & mask) {
                    char gs[64];
                    nt_error(L->d, f->slice.loc, "field '%s' = %s overlaps field '%s' = %s", f->name, sl, g->name,
                             slice_text(gs, sizeof gs, (uint64_t)g->hi, (uint64_t)g->lo));
                    nt_note(L->d, g->loc, "'%s' is defined here", g->name);
                    break;
                }
            }
            bad_field(L, f->name);
            continue;
        }
        used |= mask;
        nt_field *nf = &t->fields[t->nfields++];
        nf->name = xstrdup(f->name);
        nf->hi = hi;
        nf->lo = lo;
        nf->loc = f->name_loc;
    }
}

/* raw_bits_max and raw_bits_min over the type's codes (a type without codes has 0 for both). */
static void set_raw_bits_range(nt_type *t)
{
    t->raw_bits_max = t->ncodes > 0 ? t->codes[0].raw_bits : 0;
    t->raw_bits_min = t->raw_bits_max;
    for (int k = 1; k < t->ncodes; k++) {
        if (t->codes[k].raw_bits > t->raw_bits_max)
            t->raw_bits_max = t->codes[k].raw_bits;
        if (t->codes[k].raw_bits < t->raw_bits_min)
            t->raw_bits_min = t->codes[k].raw_bits;
    }
}

/* ---------------------------------------------------------------- split form: code a, b[3:2], ... */

static void unknown_field(lower *L, const nt_node *ref)
{
    nt_type *t = L->t;
    for (int i = 0; i < L->nbad_fields; i++)
        if (!strcmp(L->bad_fields[i], ref->name))
            return;  /* already reported where it was defined */
    if (t->nfields == 0) {
        nt_error(L->d, ref->name_loc, "unknown field '%s' in 'code': type '%s' defines no fields", ref->name,
                 t->name);
        return;
    }
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; i < t->nfields && len < sizeof list; i++) {
        int n = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", t->fields[i].name);
        if (n < 0 || (size_t)n >= sizeof list - len || i == 7) {
            snprintf(list + len, sizeof list - len, ", ...");
            break;
        }
        len += (size_t)n;
    }
    nt_error(L->d, ref->name_loc, "unknown field '%s' in 'code' (the fields are: %s)", ref->name, list);
}

static void lower_split(lower *L)
{
    nt_type *t = L->t;
    int wb = t->word_bits;
    uint64_t used = 0;
    nt_loc used_at[NT_MAX_WORD_BITS];
    int nbits = 0, errs = L->d->errors;
    for (const nt_node *ref = L->code->kids; ref; ref = ref->next) {
        int fi = find_field(t, ref->name);
        if (fi < 0) {
            unknown_field(L, ref);
            continue;
        }
        const nt_field *f = &t->fields[fi];
        int fw = f->hi - f->lo + 1;
        uint64_t hi = (uint64_t)fw - 1, lo = 0;
        if (ref->has_slice) {
            char sl[64];
            slice_text(sl, sizeof sl, ref->slice.hi, ref->slice.lo);
            hi = ref->slice.hi;
            lo = ref->slice.lo;
            if (hi < lo) {
                char want[64];
                nt_error(L->d, ref->slice.loc, "slice %s is reversed: the high bit comes first, as in %s", sl,
                         slice_text(want, sizeof want, lo, hi));
                continue;
            }
            if (hi >= (uint64_t)fw) {
                char fs[64];
                nt_error(L->d, ref->slice.loc, "slice %s is outside field '%s', which has %d bit%s: %s", sl,
                         f->name, fw, fw == 1 ? "" : "s", slice_text(fs, sizeof fs, (uint64_t)fw - 1, 0));
                continue;
            }
        }
        for (int r = (int)hi; r >= (int)lo; r--) {
            int b = f->lo + r;
            if (used >> b & 1) {
                nt_error(L->d, ref->loc, "bit %d of the word ('%s[%d]') is already in the code", b, f->name, r);
                nt_note(L->d, used_at[b], "it is first used here");
                break;
            }
            used |= (uint64_t)1 << b;
            used_at[b] = ref->loc;
            t->code_pos[nbits++] = b;
        }
    }
    if (L->d->errors > errs)
        return;
    if (nbits > NT_MAX_CODE_BITS) {
        nt_error(L->d, L->code->loc, "the code has %d bits; at most %d are allowed", nbits, NT_MAX_CODE_BITS);
        return;
    }
    t->map = NT_MAP_SPLIT;
    t->code_bits = nbits;
    t->ncodes = 1 << nbits;
    t->codes = xcalloc((size_t)t->ncodes, sizeof *t->codes);
    for (int k = 0; k < t->ncodes; k++) {
        t->codes[k].raw_bits = wb - nbits;
        t->codes[k].val = NT_VAL_NONE;
        t->codes[k].sign = 1;
    }
    set_raw_bits_range(t);
}

/* ---------------------------------------------------------------- table form: codes { ... } */

typedef struct {
    uint64_t first, last;
    int code;
} run;

static int run_cmp(const void *a, const void *b)
{
    const run *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->code - y->code;
}

static const char *attr_name(nt_node_kind k)
{
    switch (k) {
    case NT_N_WORDS: return "words";
    case NT_N_BITS: return "bits";
    case NT_N_VALUE: return "value";
    case NT_N_RANGE: return "range";
    case NT_N_SIGN: return "sign";
    case NT_N_NAN: return "nan";
    case NT_N_INF: return "inf";
    default: return "?";
    }
}

/* One code's attributes -> its raw bits, its first word if given, and its value meaning. */
static void lower_code_def(lower *L, const nt_node *def, nt_code *c, int *has_first)
{
    nt_diag *d = L->d;
    int wb = L->t->word_bits, k = (int)def->num;
    const nt_node *words = NULL, *bits = NULL, *meaning = NULL, *sign = NULL;
    char w1[96];
    for (const nt_node *a = def->kids; a; a = a->next) {
        const nt_node **slot = a->kind == NT_N_WORDS ? &words
                             : a->kind == NT_N_BITS  ? &bits
                             : a->kind == NT_N_SIGN  ? &sign
                                                     : &meaning;
        if (*slot && slot == &meaning && (*slot)->kind != a->kind)
            nt_error(d, a->loc, "code %d has both '%s' and '%s'; give one value meaning", k,
                     attr_name((*slot)->kind), attr_name(a->kind));
        else if (*slot)
            nt_error(d, a->loc, "code %d has '%s' twice", k, attr_name(a->kind));
        else
            *slot = a;
    }

    /* How many raw bits, i.e. how many words (a power of two), and from where. */
    int raw = 0, raw_ok = 1;
    if (words) {
        uint64_t a = words->num, b = words->num2;
        if (a > b) {
            nt_error(d, words->loc, "'words %" PRIu64 "..%" PRIu64 "' is reversed: write 'words %" PRIu64
                     "..%" PRIu64 "'", a, b, b, a);
            raw_ok = 0;
        } else if (b > word_max(wb)) {
            nt_error(d, words->num2_loc, "word %" PRIu64 " is outside the %d-bit word (the last is %" PRIu64 ")",
                     b, wb, word_max(wb));
            raw_ok = 0;
        } else if ((b - a) & (b - a + 1)) {
            nt_error(d, words->loc,
                     "code %d covers %s, %" PRIu64 " words; a code covers a power of two (1, 2, 4, ...)", k,
                     words_text(w1, sizeof w1, wb, a, b), b - a + 1);
            raw_ok = 0;
        } else {
            for (uint64_t n = b - a; n; n >>= 1)
                raw++;
            c->first = a;
            *has_first = 1;
        }
    }
    if (bits) {
        if (bits->num > (uint64_t)wb) {
            nt_error(d, bits->num_loc, "code %d has %" PRIu64 " raw bits, more than the %d-bit word", k, bits->num,
                     wb);
            raw_ok = 0;
        } else if (words && raw_ok && (uint64_t)raw != bits->num) {
            nt_error(d, bits->loc, "'bits %" PRIu64 "' disagrees with '%s', which is %d raw bit%s", bits->num,
                     words_text(w1, sizeof w1, wb, words->num, words->num2), raw, raw == 1 ? "" : "s");
            raw_ok = 0;
        } else
            raw = (int)bits->num;
    }
    c->raw_bits = raw_ok ? raw : 0;
    c->sign = 1;
    c->val = NT_VAL_NONE;

    if (meaning) {
        switch (meaning->kind) {
        case NT_N_VALUE:
            if (raw_ok && raw > 0)
                nt_error(d, meaning->loc,
                         "code %d has one 'value' but covers %" PRIu64 " words; use 'range [lo, hi)' for several",
                         k, run_span(raw) == UINT64_MAX ? UINT64_MAX : run_span(raw) + 1);
            c->val = NT_VAL_EXACT;
            c->lo = c->hi = meaning->val;
            break;
        case NT_N_RANGE:
            if (!(meaning->val < meaning->val2))
                nt_error(d, meaning->val_loc, "empty range [%g, %g): lo must be less than hi", meaning->val,
                         meaning->val2);
            c->val = NT_VAL_RANGE;
            c->lo = meaning->val;
            c->hi = meaning->val2;
            break;
        case NT_N_NAN:
            c->val = NT_VAL_NAN;
            break;
        case NT_N_INF:
            if (raw_ok && raw > 0)
                nt_error(d, meaning->loc, "'inf' is one value, but code %d covers %" PRIu64 " words", k,
                         run_span(raw) == UINT64_MAX ? UINT64_MAX : run_span(raw) + 1);
            c->val = NT_VAL_INF;
            if (meaning->sub)
                c->sign = meaning->sub;
            break;
        default:
            break;
        }
    }
    if (sign) {
        if (!meaning)
            nt_error(d, sign->loc, "'sign' needs a value meaning to apply to: 'range', 'nan' or 'inf'");
        else if (meaning->kind == NT_N_VALUE)
            nt_error(d, sign->loc, "'sign' does not go with 'value': write the sign in the value, as 'value -1.5'");
        else if (meaning->kind == NT_N_INF && meaning->sub)
            nt_error(d, sign->loc, "'sign' and '%cinf' both give the sign", meaning->sub > 0 ? '+' : '-');
        else
            c->sign = sign->sub;
    }
}

/* Every storage word in exactly one run: report the first gap or overlap. */
static void check_coverage(lower *L, const nt_node **defs, int n)
{
    nt_type *t = L->t;
    int wb = t->word_bits;
    uint64_t max = word_max(wb);
    run *runs = xcalloc((size_t)n, sizeof *runs);
    for (int k = 0; k < n; k++) {
        runs[k].first = t->codes[k].first;
        runs[k].last = t->codes[k].first + run_span(t->codes[k].raw_bits);
        runs[k].code = k;
    }
    qsort(runs, (size_t)n, sizeof *runs, run_cmp);
    uint64_t next = 0;      /* the first word not yet covered */
    int done = 0;           /* every word up to the last is covered */
    char w1[96], w2[96];
    for (int i = 0; i < n; i++) {
        const run *r = &runs[i];
        if (!done && r->first > next) {
            nt_error(L->d, defs[r->code]->loc, "%s %s not covered by any code (the next code is %d)",
                     words_text(w1, sizeof w1, wb, next, r->first - 1), next == r->first - 1 ? "is" : "are",
                     r->code);
            goto out;
        }
        if (done || r->first < next) {
            const run *p = &runs[i - 1];
            nt_error(L->d, defs[r->code]->loc, "code %d (%s) overlaps code %d (%s)", r->code,
                     words_text(w1, sizeof w1, wb, r->first, r->last), p->code,
                     words_text(w2, sizeof w2, wb, p->first, p->last));
            nt_note(L->d, defs[p->code]->loc, "code %d is defined here", p->code);
            goto out;
        }
        done = r->last == max;
        next = r->last + 1;
    }
    if (!done)
        nt_error(L->d, L->codes->loc, "%s %s not covered by any code", words_text(w1, sizeof w1, wb, next, max),
                 next == max ? "is" : "are");
out:
    free(runs);
}

static void lower_ranges(lower *L)
{
    nt_type *t = L->t;
    nt_diag *d = L->d;
    int wb = t->word_bits, errs = d->errors, n = 0;
    const nt_node **defs = xcalloc(NT_MAX_CODES, sizeof *defs);

    /* Code numbers: 0 .. n-1, each once. */
    for (const nt_node *def = L->codes->kids; def; def = def->next) {
        if (def->num >= NT_MAX_CODES) {
            nt_error(d, def->num_loc, "code number %" PRIu64 " is too large: at most %d codes, 0 to %d", def->num,
                     NT_MAX_CODES, NT_MAX_CODES - 1);
        } else if (defs[def->num]) {
            nt_error(d, def->num_loc, "code %" PRIu64 " is defined twice", def->num);
            nt_note(d, defs[def->num]->num_loc, "the first code %" PRIu64 " is here", def->num);
        } else {
            defs[def->num] = def;
            if ((int)def->num + 1 > n)
                n = (int)def->num + 1;
        }
    }
    if (n == 0 && d->errors == errs)
        nt_error(d, L->codes->loc, "'codes' defines no codes");
    for (int k = 0; k < n; k++)
        if (!defs[k]) {
            nt_error(d, L->codes->loc, "code %d is missing: the codes must be numbered 0 to %d, each once", k,
                     n - 1);
            break;
        }
    if (d->errors > errs)
        goto out;

    t->map = NT_MAP_RANGES;
    t->ncodes = n;
    t->codes = xcalloc((size_t)n, sizeof *t->codes);
    int *has_first = xcalloc((size_t)n, sizeof *has_first);
    for (int k = 0; k < n; k++) {
        lower_code_def(L, defs[k], &t->codes[k], &has_first[k]);
        t->codes[k].loc = defs[k]->num_loc;
    }
    /* Codes without 'words' follow the code numbered before them; code 0 starts at word 0. */
    uint64_t next = 0;
    int full = 0;
    char w1[96];
    for (int k = 0; k < n && d->errors == errs; k++) {
        nt_code *c = &t->codes[k];
        if (!has_first[k]) {
            if (full) {
                nt_error(d, defs[k]->num_loc, "code %d has no words left: the codes before it reach the last word",
                         k);
                break;
            }
            c->first = next;
        }
        uint64_t span = run_span(c->raw_bits);
        if (c->first > word_max(wb) - span) {
            uint64_t last = c->first + span < c->first ? UINT64_MAX : c->first + span;
            nt_error(d, defs[k]->num_loc, "code %d would cover %s, past the last word of the %d-bit word", k,
                     words_text(w1, sizeof w1, wb, c->first, last), wb);
            break;
        }
        full = c->first + span == word_max(wb);
        next = c->first + span + 1;
    }
    free(has_first);
    if (d->errors > errs)
        goto out;
    check_coverage(L, defs, n);

    set_raw_bits_range(t);
    while ((1 << t->code_bits) < n)
        t->code_bits++;  /* bits to number the codes: informative only in this form */
out:
    free(defs);
}

/* ---------------------------------------------------------------- format float(...) / posit(...) */

/* Appends a generated code covering 2^raw words from `first`. */
static nt_code *gen_code(nt_type *t, int cap, uint64_t first, int raw, nt_val_kind val, int sign, double lo,
                         double hi)
{
    if (t->ncodes >= cap)
        return NULL;
    nt_code *c = &t->codes[t->ncodes++];
    memset(c, 0, sizeof *c);
    c->first = first;
    c->raw_bits = raw;
    c->val = val;
    c->sign = sign;
    c->lo = lo;
    c->hi = hi;
    return c;
}

static int log2_exact(uint64_t v)
{
    int r = 0;
    while (v > 1) {
        v >>= 1;
        r++;
    }
    return r;
}

/* Runs of words [a, a + len) split into power-of-two runs, largest first when `big_first`. */
static void gen_runs(nt_type *t, int cap, uint64_t base, uint64_t a, uint64_t len, int big_first, int sign,
                     double lo0, double step)
{
    while (len) {
        uint64_t size = big_first ? (uint64_t)1 << log2_exact(len) : (a ? a & (0 - a) : (uint64_t)1 << log2_exact(len));
        if (size > len)
            size = (uint64_t)1 << log2_exact(len);
        gen_code(t, cap, base + a, log2_exact(size), NT_VAL_RANGE, sign, lo0 + (double)a * step,
                 lo0 + (double)(a + size) * step);
        a += size;
        len -= size;
    }
}

/* float(E, M): sign, E exponent bits, M mantissa bits, in that order from the top. The code of a
 * word is its sign and exponent (the mantissa is raw), except where specials cut a binade into runs. */
static void lower_float(lower *L, int E, int M, int bias, nt_specials sp)
{
    nt_type *t = L->t;
    int emax = (1 << E) - 1, cap = 2 * (emax + 1) + 4 * (M + 2);
    uint64_t nm = (uint64_t)1 << M;
    if (cap > NT_MAX_CODES + 8) {
        nt_error(L->d, L->format->loc, "float(%d, %d) would have more than %d codes; at most %d exponent bits", E, M,
                 NT_MAX_CODES, NT_MAX_CODE_BITS - 2);
        return;
    }
    t->word_bits = 1 + E + M;
    t->codes = xcalloc((size_t)cap, sizeof *t->codes);
    for (int s = 0; s < 2; s++) {
        int sign = s ? -1 : 1;
        for (int e = 0; e <= emax; e++) {
            uint64_t base = (uint64_t)s << (E + M) | (uint64_t)e << M;
            double step = ldexp(1.0, (e ? e : 1) - bias - M), lo0 = e ? ldexp(1.0, e - bias) : 0.0;
            if (e == 0 && s && sp == NT_SPECIALS_FNUZ) {
                gen_code(t, cap, base, 0, NT_VAL_NAN, 1, 0, 0); /* the one NaN, where -0 would be */
                gen_runs(t, cap, base, 1, nm - 1, 0, sign, lo0, step);
            } else if (e == emax && sp == NT_SPECIALS_IEEE) {
                gen_code(t, cap, base, 0, NT_VAL_INF, sign, 0, 0);
                for (uint64_t a = 1; a < nm; a *= 2) /* NaN payloads 1, 2..3, 4..7, ... (the last: quiet) */
                    gen_code(t, cap, base + a, log2_exact(a), NT_VAL_NAN, sign, 0, 0);
            } else if (e == emax && sp == NT_SPECIALS_FN) {
                gen_runs(t, cap, base, 0, nm - 1, 1, sign, lo0, step);
                gen_code(t, cap, base + nm - 1, 0, NT_VAL_NAN, sign, 0, 0);
            } else {
                gen_code(t, cap, base, M, NT_VAL_RANGE, sign, lo0, lo0 + (double)nm * step);
            }
        }
    }
}

/* posit(n, es): codes are (sign, regime) runs; the raw bits are the exponent and fraction. The
 * negative half is the two's complement of the positive one, so its runs count down. */
static void lower_posit(lower *L, int n, int es)
{
    nt_type *t = L->t;
    int cap = 4 * n, npos = 0;
    uint64_t nar = (uint64_t)1 << (n - 1);
    t->word_bits = n;
    t->codes = xcalloc((size_t)cap, sizeof *t->codes);
    gen_code(t, cap, 0, 0, NT_VAL_EXACT, 1, 0, 0);
    for (int k = -(n - 2); k <= n - 2; k++) {
        int m = k < 0 ? -k : k + 1, r = m >= n - 1 ? 0 : n - 2 - m;
        uint64_t first = k < 0 ? (uint64_t)1 << r : m >= n - 1 ? nar - 1 : (((uint64_t)1 << m) - 1) << (r + 1);
        nt_code *c = gen_code(t, cap, first, r, NT_VAL_BINADES, 1, ldexp(1.0, k * (1 << es)),
                              ldexp(1.0, (k + 1) * (1 << es)));
        c->scale = k * (1 << es);
        c->exp_bits = r < es ? r : es;
        c->exp_shift = es - c->exp_bits;
        npos++;
    }
    gen_code(t, cap, nar, 0, NT_VAL_NAN, 1, 0, 0); /* NaR */
    for (int i = npos; i >= 1; i--) { /* mirror of positive code i, in word order */
        nt_code p = t->codes[i];
        nt_code *c = gen_code(t, cap, ((uint64_t)1 << n) - (p.first + ((uint64_t)1 << p.raw_bits) - 1), p.raw_bits,
                              NT_VAL_BINADES, -1, p.lo, p.hi);
        c->scale = p.scale;
        c->exp_bits = p.exp_bits;
        c->exp_shift = p.exp_shift;
        c->reverse = 1;
    }
}

static const char *fopt_name_value(const nt_node *o)
{
    return o->kids && o->kids->name ? o->kids->name : NULL;
}

/* item := 'format' NAME args format_opt* ';' */
static void lower_format(lower *L)
{
    nt_type *t = L->t;
    nt_diag *d = L->d;
    const nt_node *f = L->format, *arg[4] = { 0 };
    int nargs = 0, errs = d->errors;
    int is_float = !strcmp(f->name, "float"), is_posit = !strcmp(f->name, "posit");
    for (const nt_node *a = f->kids; a; a = a->next)
        if (a->kind == NT_N_ARG) {
            if (nargs < 4)
                arg[nargs] = a;
            nargs++;
        }
    if (!is_float && !is_posit) {
        nt_error(d, f->name_loc, "unknown format '%s' (known: float(EXP, MANT), posit(N, ES))", f->name);
        return;
    }
    if (nargs != 2) {
        nt_error(d, nargs > 2 ? arg[2] ? arg[2]->loc : f->name_loc : f->name_loc, "'%s' takes 2 arguments, %s",
                 f->name, is_float ? "float(EXPONENT_BITS, MANTISSA_BITS)" : "posit(N, ES)");
        return;
    }
    uint64_t a = arg[0]->num, b = arg[1]->num;
    int bias_given = 0;
    int64_t bias = 0;
    nt_specials sp = NT_SPECIALS_IEEE;
    const nt_node *ovf = NULL;
    if (is_float) {
        if (a < 1 || a > 11)
            nt_error(d, arg[0]->loc, "a float has 1 to 11 exponent bits, not %" PRIu64, a);
        else if (b > 52 || 1 + a + b > NT_MAX_WORD_BITS)
            nt_error(d, arg[1]->loc, "a float has 0 to 52 mantissa bits and at most %d bits in all", NT_MAX_WORD_BITS);
    } else {
        if (a < 2 || a > 32)
            nt_error(d, arg[0]->loc, "a posit has 2 to 32 bits, not %" PRIu64, a);
        if (b > 4)
            nt_error(d, arg[1]->loc, "a posit has 0 to 4 exponent bits (es), not %" PRIu64, b);
    }
    const nt_node *seen[3] = { 0 };
    static const char *const opts[3] = { "bias", "specials", "overflow" };
    for (const nt_node *o = f->kids; o; o = o->next) {
        if (o->kind != NT_N_FOPT)
            continue;
        int which = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(o->name, opts[i]))
                which = i;
        if (which < 0 || (is_posit && which < 2)) {
            nt_error(d, o->loc, "unknown option '%s' for %s (known: %s)", o->name, f->name,
                     is_float ? "bias, specials, overflow" : "overflow");
            continue;
        }
        if (seen[which]) {
            nt_error(d, o->loc, "'%s' is given twice", o->name);
            nt_note(d, seen[which]->loc, "the first '%s' is here", o->name);
            continue;
        }
        seen[which] = o;
        const char *v = fopt_name_value(o);
        if (which == 0) {
            if (v || o->num > 2000) {
                nt_error(d, o->loc, "'bias' takes an integer, as in 'bias 7'");
                continue;
            }
            bias = o->sub < 0 ? -(int64_t)o->num : (int64_t)o->num;
            bias_given = 1;
        } else if (which == 1) {
            static const char *const names[4] = { "ieee", "fn", "fnuz", "none" };
            int k = -1;
            for (int i = 0; i < 4 && v; i++)
                if (!strcmp(v, names[i]))
                    k = i;
            if (k < 0) {
                nt_error(d, o->kids ? o->kids->loc : o->num_loc,
                         "'specials' is one of ieee (inf and NaNs in the top binade), fn (one NaN, no inf), "
                         "fnuz (one NaN in place of -0) or none");
                continue;
            }
            sp = (nt_specials)k;
        } else {
            if (!v || (strcmp(v, "saturate") && strcmp(v, "inf") && strcmp(v, "nan"))) {
                nt_error(d, o->kids ? o->kids->loc : o->num_loc, "'overflow' is one of saturate, inf or nan");
                continue;
            }
            ovf = o;
        }
    }
    if (d->errors > errs)
        return;
    t->format = is_float ? NT_FMT_FLOAT : NT_FMT_POSIT;
    t->fmt_a = (int)a;
    t->fmt_b = (int)b;
    if (is_posit) {
        t->overflow = NT_OVERFLOW_SATURATE; /* posits never overflow, nor round to zero */
        if (ovf && strcmp(fopt_name_value(ovf), "saturate"))
            nt_error(d, ovf->kids->loc, "posits saturate: 'overflow' can only be saturate");
        lower_posit(L, (int)a, (int)b);
    } else {
        t->fmt_bias = bias_given ? (int)bias : (1 << (a - 1)) - 1;
        t->specials = sp;
        t->overflow = sp == NT_SPECIALS_IEEE ? NT_OVERFLOW_INF : sp == NT_SPECIALS_NONE ? NT_OVERFLOW_SATURATE
                                                                                         : NT_OVERFLOW_NAN;
        if (ovf) {
            const char *v = fopt_name_value(ovf);
            if (!strcmp(v, "inf") && sp != NT_SPECIALS_IEEE)
                nt_error(d, ovf->kids->loc, "'overflow inf' needs infinities: 'specials ieee'");
            else if (!strcmp(v, "nan") && sp == NT_SPECIALS_NONE)
                nt_error(d, ovf->kids->loc, "'overflow nan' needs a NaN: 'specials' other than none");
            t->overflow = !strcmp(v, "inf") ? NT_OVERFLOW_INF : !strcmp(v, "nan") ? NT_OVERFLOW_NAN
                                                                                    : NT_OVERFLOW_SATURATE;
        }
        if (d->errors == errs)
            lower_float(L, (int)a, (int)b, t->fmt_bias, sp);
    }
    if (d->errors > errs || !t->codes)
        return;
    t->map = NT_MAP_RANGES;
    for (int k = 0; k < t->ncodes; k++)
        t->codes[k].loc = f->loc;
    set_raw_bits_range(t);
    while ((1 << t->code_bits) < t->ncodes)
        t->code_bits++;
}

/* item := 'bridge' NAME args ';' — word, pair, fp32, fixed(WIDTH, FRACTION) */
static void lower_bridge(lower *L)
{
    nt_type *t = L->t;
    const nt_node *b = L->bridge, *arg[3] = { 0 };
    int nargs = 0;
    t->bridge = NT_BRIDGE_WORD;
    if (!b)
        return;
    for (const nt_node *a = b->kids; a; a = a->next) {
        if (nargs < 3)
            arg[nargs] = a;
        nargs++;
    }
    static const char *const names[4] = { "word", "pair", "fp32", "fixed" };
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(b->name, names[i]))
            k = i;
    if (k < 0) {
        nt_error(L->d, b->name_loc, "unknown bridge output '%s' (known: word, pair, fp32, fixed(WIDTH, FRACTION))",
                 b->name);
        return;
    }
    if (nargs != (k == NT_BRIDGE_FIXED ? 2 : 0)) {
        nt_error(L->d, b->name_loc, k == NT_BRIDGE_FIXED ? "'fixed' takes 2 arguments: fixed(WIDTH, FRACTION_BITS)"
                                                         : "'%s' takes no arguments", b->name);
        return;
    }
    t->bridge = (nt_bridge_kind)k;
    if (k == NT_BRIDGE_FIXED) {
        if (arg[0]->num < 2 || arg[0]->num > 32)
            nt_error(L->d, arg[0]->loc, "a fixed-point output has 2 to 32 bits, not %" PRIu64, arg[0]->num);
        else if (arg[1]->num > 62)
            nt_error(L->d, arg[1]->loc, "a fixed-point output has at most 62 fraction bits");
        t->bridge_width = (int)arg[0]->num;
        t->bridge_frac = (int)arg[1]->num;
    }
    if (k >= NT_BRIDGE_FP32 && t->codes) {
        for (int c = 0; c < t->ncodes; c++)
            if (t->codes[c].val == NT_VAL_NONE) {
                nt_error(L->d, b->loc, "bridge '%s' needs a value for every code, and code %d has none", b->name, c);
                break;
            }
    }
}

/* ---------------------------------------------------------------- model, coder, counts */

static void lower_model(lower *L)
{
    nt_type *t = L->t;
    t->model = NT_MODEL_ADAPTIVE;
    t->block = 0;
    if (!L->model)
        return;
    t->model = (nt_model_kind)L->model->sub;
    if (L->model->has_num) {
        if (L->model->num == 0)
            nt_error(L->d, L->model->num_loc, "'block' must be at least 1 word");
        t->block = L->model->num;
    }
    t->have_counts = L->model->kids != NULL;
}

static void lower_coder(lower *L)
{
    nt_type *t = L->t;
    t->coder = NT_CODER_TANS;
    t->table_log = NT_DEFAULT_TABLE_LOG;
    t->lanes = NT_DEFAULT_LANES;
    if (!L->coder)
        return;
    t->coder = (nt_coder_kind)L->coder->sub;
    if (t->coder == NT_CODER_RANS)
        t->table_log = NT_DEFAULT_PROB_BITS;
    static const char *const names[] = { "table_log", "prob_bits", "lanes" };
    const nt_node *seen[3] = { 0 };
    for (const nt_node *o = L->coder->kids; o; o = o->next) {
        const char *name = names[o->sub];
        if (seen[o->sub]) {
            nt_error(L->d, o->loc, "'%s' is given twice", name);
            nt_note(L->d, seen[o->sub]->loc, "the first '%s' is here", name);
            continue;
        }
        seen[o->sub] = o;
        if (o->sub == NT_OPT_TABLE_LOG && t->coder != NT_CODER_TANS) {
            nt_error(L->d, o->loc, "'table_log' is a tANS option; the rANS coder takes 'prob_bits'");
            continue;
        }
        if (o->sub == NT_OPT_PROB_BITS && t->coder != NT_CODER_RANS) {
            nt_error(L->d, o->loc, "'prob_bits' is an rANS option; the tANS coder takes 'table_log'");
            continue;
        }
        int lo = o->sub == NT_OPT_TABLE_LOG ? NT_TANS_MIN_LOG : o->sub == NT_OPT_PROB_BITS ? NT_RANS_MIN_BITS : 1;
        int hi = o->sub == NT_OPT_TABLE_LOG ? NT_TANS_MAX_LOG : o->sub == NT_OPT_PROB_BITS ? NT_RANS_MAX_BITS
                                                                                          : NT_MAX_LANES;
        if (o->num < (uint64_t)lo || o->num > (uint64_t)hi) {
            nt_error(L->d, o->num_loc, "'%s' must be %d to %d, not %" PRIu64, name, lo, hi, o->num);
            continue;
        }
        if (o->sub == NT_OPT_LANES)
            t->lanes = (int)o->num;
        else
            t->table_log = (int)o->num;
    }
}

/* Inline counts: codes that exist, each once, none negative, not all zero; and few enough nonzero
 * codes for the coder's table. */
static void lower_counts(lower *L)
{
    nt_type *t = L->t;
    nt_diag *d = L->d;
    const nt_node *counts = L->model ? L->model->kids : NULL;
    if (!counts || !t->codes)
        return;
    int errs = d->errors, nonzero = 0;
    const nt_node **seen = xcalloc((size_t)t->ncodes, sizeof *seen);
    for (const nt_node *c = counts->kids; c; c = c->next) {
        if (c->num >= (uint64_t)t->ncodes) {
            nt_error(d, c->num_loc, "count for code %" PRIu64 ", but type '%s' has %d code%s (0 to %d)", c->num,
                     t->name, t->ncodes, t->ncodes == 1 ? "" : "s", t->ncodes - 1);
        } else if (seen[c->num]) {
            nt_error(d, c->num_loc, "code %" PRIu64 " has two counts", c->num);
            nt_note(d, seen[c->num]->num_loc, "the first is here");
        } else if (c->val < 0) {
            nt_error(d, c->val_loc, "the count of code %" PRIu64 " is negative (%g)", c->num, c->val);
        } else {
            seen[c->num] = c;
            t->codes[c->num].count = c->val;
            nonzero += c->val > 0;
        }
    }
    free(seen);
    if (d->errors == errs && nonzero == 0)
        nt_error(d, counts->loc, "all counts are zero: give at least one code a nonzero count");
}

/* Every code with a nonzero count needs a cell of the coder's table, and so does the escape that
 * stands for all the codes counted zero (see the stream format), if there are any. */
static void check_table_size(lower *L)
{
    nt_type *t = L->t;
    const nt_node *counts = L->model ? L->model->kids : NULL;
    if (!counts || !t->codes)
        return;
    int nonzero = 0;
    for (int k = 0; k < t->ncodes; k++)
        nonzero += t->codes[k].count > 0;
    int cells = nonzero + (nonzero < t->ncodes);
    if (nonzero > 0 && cells > 1 << t->table_log)
        nt_error(L->d, counts->loc,
                 "%d codes have nonzero counts%s: %d symbols, more than the %d cells of the %s table; raise '%s'",
                 nonzero, nonzero < t->ncodes ? ", plus the escape for the others" : "", cells, 1 << t->table_log,
                 t->coder == NT_CODER_TANS ? "tANS" : "rANS", t->coder == NT_CODER_TANS ? "table_log" : "prob_bits");
}

static nt_type *lower_type(nt_diag *d, const nt_node *tn)
{
    int errs = d->errors;
    lower L;
    memset(&L, 0, sizeof L);
    L.d = d;
    L.tn = tn;
    L.t = xcalloc(1, sizeof *L.t);
    L.t->name = xstrdup(tn->name);
    L.t->loc = tn->name_loc;

    collect_items(&L);
    check_word(&L);
    if (L.format && d->errors == errs)
        lower_format(&L);  /* gives the word and the codes */
    int items_ok = d->errors == errs && L.t->word_bits > 0;
    check_fields(&L);  /* a field with an error is remembered: the code does not complain about it again */
    if (items_ok && !L.format) {
        if (L.code)
            lower_split(&L);
        else if (L.codes)
            lower_ranges(&L);
    }
    lower_bridge(&L);
    lower_model(&L);
    lower_counts(&L);
    lower_coder(&L);
    check_table_size(&L);
    if (d->errors > errs) {
        nt_type_free(L.t);
        return NULL;
    }
    return L.t;
}

/* ---------------------------------------------------------------- the whole file */

typedef struct {
    const char *name;
    int index;
} named;

static int named_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->index - y->index;
}

nt_type **nt_compile_source(nt_diag *d, const char *src, size_t len, int *ntypes)
{
    *ntypes = 0;
    nt_node *file = nt_parse_source(d, src, len);
    int n = 0;
    for (nt_node *tn = file; tn; tn = tn->next)
        n++;
    if (n == 0) {
        if (d->errors == 0) {
            nt_loc nowhere = { d->file, 0, 0 };
            nt_error(d, nowhere, "no types defined: a .nt file holds one or more 'type NAME { ... }'");
        }
        return NULL;
    }

    /* Duplicate names, found by sorting (a file of many types must not take quadratic time), reported
     * in source order below. */
    nt_node **nodes = xcalloc((size_t)n, sizeof *nodes);
    named *byname = xcalloc((size_t)n, sizeof *byname);
    int *first_of = xcalloc((size_t)n, sizeof *first_of);
    n = 0;
    for (nt_node *tn = file; tn; tn = tn->next, n++) {
        nodes[n] = tn;
        byname[n].name = tn->name;
        byname[n].index = n;
        first_of[n] = -1;
    }
    qsort(byname, (size_t)n, sizeof *byname, named_cmp);
    for (int i = 1; i < n; i++)
        if (!strcmp(byname[i].name, byname[i - 1].name))
            first_of[byname[i].index] =
                first_of[byname[i - 1].index] >= 0 ? first_of[byname[i - 1].index] : byname[i - 1].index;

    nt_type **types = xcalloc((size_t)n, sizeof *types);
    int ntyp = 0, max = d->max_errors > 0 ? d->max_errors : 20;
    for (int i = 0; i < n && d->errors <= max; i++) {
        if (first_of[i] >= 0) {
            nt_error(d, nodes[i]->name_loc, "type '%s' is defined twice", nodes[i]->name);
            nt_note(d, nodes[first_of[i]]->name_loc, "the first '%s' is here", nodes[i]->name);
            continue;
        }
        if (nodes[i]->broken)
            continue;
        nt_type *t = lower_type(d, nodes[i]);
        if (t)
            types[ntyp++] = t;
    }
    free(first_of);
    free(byname);
    free(nodes);
    nt_node_free(file);
    if (d->errors) {
        for (int i = 0; i < ntyp; i++)
            nt_type_free(types[i]);
        free(types);
        return NULL;
    }
    *ntypes = ntyp;
    return types;
}

void nt_type_free(nt_type *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nfields; i++)
        free(t->fields[i].name);
    free(t->codes);
    free(t->name);
    free(t);
}

/* ---------------------------------------------------------------- IR helpers */

/* The code whose run holds word w, for the table form. Tables are nearly always laid out in code
 * order, so try a binary search first, and scan only if the table is laid out otherwise. */
static int covers(const nt_code *c, uint64_t w)
{
    return w >= c->first && (c->raw_bits >= 64 || (w - c->first) >> c->raw_bits == 0);
}

static int find_run(const nt_type *t, uint64_t w)
{
    if (t->ncodes <= 0)
        return -1;
    int lo = 0, hi = t->ncodes - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (t->codes[mid].first <= w)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (covers(&t->codes[lo], w))
        return lo;
    for (int k = 0; k < t->ncodes; k++)
        if (covers(&t->codes[k], w))
            return k;
    return -1;
}

int nt_word_code(const nt_type *t, uint64_t word, uint64_t *raw)
{
    word &= word_max(t->word_bits);
    if (t->map == NT_MAP_RANGES) {
        int k = find_run(t, word);
        if (raw)
            *raw = k >= 0 ? word - t->codes[k].first : 0;
        return k;
    }
    uint64_t code_mask = 0, r = 0;
    int code = 0;
    for (int k = 0; k < t->code_bits; k++) {
        code = code << 1 | (int)(word >> t->code_pos[k] & 1);
        code_mask |= (uint64_t)1 << t->code_pos[k];
    }
    if (raw) {
        for (int b = t->word_bits - 1; b >= 0; b--)
            if (!(code_mask >> b & 1))
                r = r << 1 | (word >> b & 1);
        *raw = r;
    }
    return code;
}

uint64_t nt_word_join(const nt_type *t, int code, uint64_t raw)
{
    if (code < 0 || code >= t->ncodes)
        return 0;
    if (t->map == NT_MAP_RANGES) {
        const nt_code *c = &t->codes[code];
        return (c->first + (raw & run_span(c->raw_bits))) & word_max(t->word_bits);
    }
    uint64_t word = 0, code_mask = 0;
    for (int k = 0; k < t->code_bits; k++) {
        int b = t->code_pos[k];
        code_mask |= (uint64_t)1 << b;
        word |= (uint64_t)(code >> (t->code_bits - 1 - k) & 1) << b;
    }
    /* The raw bits fill the other positions, most significant first: take them from the bottom up. */
    for (int b = 0; b < t->word_bits; b++)
        if (!(code_mask >> b & 1)) {
            word |= (raw & 1) << b;
            raw >>= 1;
        }
    return word;
}

int nt_word_map_init(nt_word_map *m, const nt_type *t)
{
    memset(m, 0, sizeof *m);
    m->t = t;
    if (t->map != NT_MAP_SPLIT)
        return 0;
    m->split = 1;
    m->word_bytes = (t->word_bits + 7) / 8;
    m->raw_bytes = (t->word_bits - t->code_bits + 7) / 8;
    for (int k = 0; k < m->word_bytes; k++)
        for (uint64_t v = 0; v < 256; v++) {
            uint64_t w = v << 8 * k, raw;
            m->code_of[k][v] = (uint64_t)nt_word_code(t, w, &raw);
            m->raw_of[k][v] = raw;
        }
    for (int k = 0; k < m->raw_bytes; k++)
        for (uint64_t v = 0; v < 256; v++)
            m->raw_in[k][v] = nt_word_join(t, 0, v << 8 * k);
    if (!(m->code_word = malloc(sizeof *m->code_word * (size_t)t->ncodes)))
        return -1;
    for (int c = 0; c < t->ncodes; c++)
        m->code_word[c] = nt_word_join(t, c, 0);
    return 0;
}

void nt_word_map_free(nt_word_map *m)
{
    free(m->code_word);
    m->code_word = NULL;
}
