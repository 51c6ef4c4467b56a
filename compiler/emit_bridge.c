/*
 * emit_bridge.c — the RTL decoder's bridge stage (spec/language.md, `bridge`), for emit_rtl.c.
 *
 * What m_axis_tdata carries is the type's bridge output, the one T_bridge computes in C:
 *   word   the storage word (split types: the code's bits at their places; code tables:
 *          first[code] + raw);
 *   pair   code << raw_bits_max | raw;
 *   fp32, fixed(W, F)   the hand-written core rtl_templates/ntc_bridge.v after the decoder core,
 *          with one entry per code that this file derives from the value tables (nt_value.h):
 *          a code's values are sign * N * 2^E, N = BASE + (r mod 2^FB), E = EB + ((r >> FB) << ESHIFT),
 *          r the raw bits (reversed for posits' negative half); a code with one value carries
 *          its output as a constant.
 * nt_rtl_bridge_word is the C reference the vectors hold: the runtime's nt_value_to_fp32 and
 * nt_value_to_fixed, the same functions the generated T_bridge calls.
 */
#include "ntc.h"
#include "nt_value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const nt_type *g_type; /* the value tables' split/join carry no context */
static int vsplit(uint64_t w, uint64_t *raw) { return nt_word_code(g_type, w, raw); }
static uint64_t vjoin(int code, uint64_t raw) { return nt_word_join(g_type, code, raw); }

typedef struct {
    int cst, neg, rev, rbits, fb, eshift;
    int64_t base, eb;
    uint64_t cval;
} bridge_entry;

int nt_rtl_out_bits(const nt_type *t)
{
    switch (t->bridge) {
    case NT_BRIDGE_PAIR: return nt_code_width(t) + t->raw_bits_max;
    case NT_BRIDGE_FP32: return 32;
    case NT_BRIDGE_FIXED: return t->bridge_width;
    default: return t->word_bits;
    }
}

static uint64_t out_mask(const nt_type *t)
{
    int b = nt_rtl_out_bits(t);
    return b >= 64 ? ~0ull : (1ull << b) - 1;
}

static uint64_t value_out(const nt_type *t, const nt_vtype *vt, uint64_t w)
{
    if (t->bridge == NT_BRIDGE_FP32)
        return nt_value_to_fp32(vt, w);
    return (uint64_t)nt_value_to_fixed(vt, w, t->bridge_width, t->bridge_frac) & out_mask(t);
}

uint64_t nt_rtl_bridge_word(const nt_type *t, uint64_t w)
{
    static const nt_type *built; /* the value tables of the last type asked about */
    static nt_vtype vt;
    uint64_t raw;
    int code;
    switch (t->bridge) {
    case NT_BRIDGE_PAIR:
        code = nt_word_code(t, w, &raw);
        return (uint64_t)code << t->raw_bits_max | raw;
    case NT_BRIDGE_FP32:
    case NT_BRIDGE_FIXED:
        if (built != t) {
            if (built)
                nt_value_release(&vt);
            built = NULL;
            if (nt_value_build(t, &vt) != 0)
                return 0;
            built = t;
        }
        g_type = t;
        vt.split = vsplit;
        vt.join = vjoin;
        return value_out(t, &vt, w);
    default:
        return w;
    }
}

/* Bits of a two's complement number holding v. */
static int sbits(int64_t v)
{
    int b = 1;
    while (v < -((int64_t)1 << (b - 1)) || v > ((int64_t)1 << (b - 1)) - 1)
        b++;
    return b;
}

/* The entries of a value type, and the widths they need; NULL and a reason if the core cannot
 * compute some code. */
static bridge_entry *entries(const nt_type *t, int *nw, int *ew, const char **why)
{
    nt_vtype vt;
    bridge_entry *e;
    int nwm = 2, ewm = 2;
    *why = NULL;
    g_type = t;
    if (nt_value_build(t, &vt) != 0) {
        *why = "the bridge needs a value type";
        return NULL;
    }
    vt.split = vsplit;
    vt.join = vjoin;
    e = calloc((size_t)t->ncodes, sizeof *e);
    if (!e) {
        nt_value_release(&vt);
        *why = "out of memory";
        return NULL;
    }
    for (int k = 0; k < t->ncodes && !*why; k++) {
        const nt_vcode *c = &vt.codes[k];
        bridge_entry *x = &e[k];
        x->rbits = c->rbits;
        if (c->kind != NT_VK_RANGE && c->kind != NT_VK_BINADES)
            x->cst = 1;
        if (c->kind == NT_VK_RANGE && c->rbits == 0)
            x->cst = 1;
        if (x->cst) {
            x->cval = value_out(t, &vt, nt_word_join(t, k, 0));
            continue;
        }
        x->neg = c->neg;
        if (c->kind == NT_VK_RANGE) {
            int s;
            double m = frexp(c->step, &s), i;
            /* step = 2^(s-1), lo = base * step */
            if (m != 0.5 || modf(c->lo / c->step, &i) != 0 || fabs(i) > 1e15) {
                *why = "ranges whose step is not a power of two (or whose low end is not a multiple of it) are not supported by the RTL backend's bridge";
                break;
            }
            x->fb = c->rbits;
            x->base = (int64_t)i;
            x->eb = s - 1;
        } else {
            x->rev = c->rev;
            x->fb = c->rbits - c->ebits;
            x->eshift = c->eshift;
            x->base = (int64_t)1 << x->fb;
            x->eb = c->scale - x->fb;
        }
        {
            int64_t top = x->base + (((int64_t)1 << x->fb) - 1);
            int64_t etop = x->eb + ((((int64_t)1 << (x->rbits - x->fb)) - 1) << x->eshift);
            int b = sbits(x->base) > sbits(top) ? sbits(x->base) : sbits(top);
            nwm = b + 1 > nwm ? b + 1 : nwm; /* + 1: |N| of the most negative N */
            b = sbits(x->eb) > sbits(etop) ? sbits(x->eb) : sbits(etop);
            ewm = b > ewm ? b : ewm;
        }
    }
    nt_value_release(&vt);
    if (*why) {
        free(e);
        return NULL;
    }
    if (nwm < t->raw_bits_max + 1)
        nwm = t->raw_bits_max + 1;
    if (ewm < t->raw_bits_max + 1)
        ewm = t->raw_bits_max + 1;
    if (nwm > 64)
        *why = "values wider than 63 bits times a power of two are not supported by the RTL backend's bridge";
    if (*why) {
        free(e);
        return NULL;
    }
    *nw = nwm;
    *ew = ewm;
    return e;
}

const char *nt_rtl_bridge_unsupported(const nt_type *t)
{
    const char *why = NULL;
    int nw, ew;
    if (t->bridge == NT_BRIDGE_PAIR && nt_rtl_out_bits(t) > 63) /* the vectors keep tlast above it */
        return "(code, bits) pairs of 64 bits or more are not supported by the RTL backend's bridge";
    if (t->bridge != NT_BRIDGE_FP32 && t->bridge != NT_BRIDGE_FIXED)
        return NULL;
    free(entries(t, &nw, &ew, &why));
    return why;
}

/* ------------------------------------------------------------------ m4 definitions */

static void add(char **p, size_t *len, size_t *cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void add(char **p, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (!*p && *cap)
        return; /* an earlier failure */
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (*len + (size_t)n + 1 > *cap) {
        size_t c = *cap * 2 + (size_t)n + 4096;
        char *q = realloc(*p, c);
        if (!q) {
            free(*p);
            *p = NULL;
            *cap = 1;
            return;
        }
        *p = q;
        *cap = c;
    }
    va_start(ap, fmt);
    vsnprintf(*p + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

static int clog2(int v)
{
    int r = 0;
    while ((1 << r) < v)
        r++;
    return r;
}

/* Two's complement bits of v in w bits, as a Verilog literal. */
static void lit(char **p, size_t *len, size_t *cap, int w, int64_t v)
{
    uint64_t u = (uint64_t)v & (w >= 64 ? ~0ull : (1ull << w) - 1);
    add(p, len, cap, "%d'h%llx", w, (unsigned long long)u);
}

char *nt_rtl_bridge_defs(const nt_type *t)
{
    char *p = NULL;
    size_t len = 0, cap = 0;
    const char *kind = t->bridge == NT_BRIDGE_PAIR ? "pair" : t->bridge == NT_BRIDGE_FP32 ? "fp32"
                       : t->bridge == NT_BRIDGE_FIXED ? "fixed" : "word";
    const int cw = nt_code_width(t), ob = nt_rtl_out_bits(t);
#define ADD(...) add(&p, &len, &cap, __VA_ARGS__)
    ADD("m4_define(<|NTC_OUT_BITS|>, <|%d|>)m4_dnl\n", ob);
    if (t->bridge == NT_BRIDGE_FP32 || t->bridge == NT_BRIDGE_FIXED) {
        int nw, ew;
        const char *why;
        bridge_entry *e = entries(t, &nw, &ew, &why);
        const int rbw = clog2(t->raw_bits_max + 1) > 1 ? clog2(t->raw_bits_max + 1) : 1;
        const int tab = 3 + 2 * rbw + 3 + nw + ew + ob;
        if (!e)
            return NULL;
        ADD("m4_define(<|NTC_OUTPUT|>, <|value|>)m4_dnl\n");
        if (t->bridge == NT_BRIDGE_FP32)
            ADD("m4_define(<|NTC_OUT_DESCRIPTION|>, <|the value as IEEE binary32 bits (bridge fp32), as %s_to_fp32 computes it|>)m4_dnl\n",
                t->name);
        else
            ADD("m4_define(<|NTC_OUT_DESCRIPTION|>, <|round(value 2^%d) as a %d-bit two's complement integer, ties to even, saturating, NaN as 0 (bridge fixed(%d, %d)), as %s_to_fixed computes it|>)m4_dnl\n",
                t->bridge_frac, ob, ob, t->bridge_frac, t->name);
        ADD("m4_define(<|NTC_BRIDGE_PARAMS|>, <|.FP32(%d), .FRAC(%d), .NW(%d), .EW(%d), .RBW(%d)|>)m4_dnl\n",
            t->bridge == NT_BRIDGE_FP32, t->bridge == NT_BRIDGE_FIXED ? t->bridge_frac : 0, nw, ew, rbw);
        ADD("m4_define(<|NTC_TAB_BITS|>, <|%d|>)m4_dnl\n", tab);
        ADD("m4_define(<|NTC_BRIDGE_TABLE|>, <|");
        for (int k = 0; k < t->ncodes; k++) {
            const bridge_entry *x = &e[k];
            ADD("            %d'd%d: tab_data = {1'b%d, 1'b%d, 1'b%d, ", cw, k, x->cst, x->neg, x->rev);
            lit(&p, &len, &cap, rbw, x->rbits);
            ADD(", ");
            lit(&p, &len, &cap, rbw, x->fb);
            ADD(", ");
            lit(&p, &len, &cap, 3, x->eshift);
            ADD(", ");
            lit(&p, &len, &cap, nw, x->base);
            ADD(", ");
            lit(&p, &len, &cap, ew, x->eb);
            ADD(", ");
            lit(&p, &len, &cap, ob, (int64_t)x->cval);
            ADD("};\n");
        }
        ADD("|>)m4_dnl\n");
        free(e);
    } else if (t->bridge == NT_BRIDGE_PAIR) {
        ADD("m4_define(<|NTC_OUTPUT|>, <|pair|>)m4_dnl\n");
        ADD("m4_define(<|NTC_OUT_DESCRIPTION|>, <|the (code, raw bits) pair, code << %d | raw (bridge pair)|>)m4_dnl\n",
            t->raw_bits_max);
    } else if (t->map == NT_MAP_RANGES) {
        ADD("m4_define(<|NTC_OUTPUT|>, <|first|>)m4_dnl\n");
        ADD("m4_define(<|NTC_OUT_DESCRIPTION|>, <|the storage word|>)m4_dnl\n");
        ADD("m4_define(<|NTC_FIRST_TABLE|>, <|");
        for (int k = 0; k < t->ncodes; k++)
            ADD("            %d'd%d: first = %d'h%llx;\n", cw, k, t->word_bits, (unsigned long long)t->codes[k].first);
        ADD("|>)m4_dnl\n");
    } else {
        ADD("m4_define(<|NTC_OUTPUT|>, <|join|>)m4_dnl\n");
        ADD("m4_define(<|NTC_OUT_DESCRIPTION|>, <|the storage word|>)m4_dnl\n");
    }
    ADD("m4_define(<|NTC_BRIDGE_KIND|>, <|%s|>)m4_dnl\n", kind);
#undef ADD
    return p;
}
