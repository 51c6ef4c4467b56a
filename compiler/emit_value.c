/*
 * emit_value.c — the value functions and bridge outputs of the C backend.
 *
 * For a type whose every code has a value meaning (a value type), T.c gets the runtime's value
 * engine (runtime/nt_value.h, embedded at build time like the ANS core), the type's value tables
 * built here from the code table, and thin wrappers:
 *     double T_to_double(T_word_t)    float T_to_float(T_word_t)
 *     T_word_t T_from_double(double)  T_word_t T_from_float(float)
 *     uint32_t T_to_fp32(T_word_t)    int32_t T_to_fixed(T_word_t)   (with 'bridge fixed(W, F)')
 * Every type gets the raw (code, bits) pair: T_to_pair, T_from_pair, T_to_pair_bits. And T_bridge
 * converts an array of words to the output the type's 'bridge' item chose, which is what the RTL
 * decoder's bridge stage puts on m_axis_tdata.
 *
 * nt_value_build gives `ntc quantize` the same tables, so the compiler rounds exactly as the
 * generated code does.
 */
#include "ntc.h"
#include "nt_value.h"
#include "value_embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nt_has_values(const nt_type *t)
{
    if (!t->codes || t->ncodes == 0)
        return 0;
    for (int k = 0; k < t->ncodes; k++)
        if (t->codes[k].val == NT_VAL_NONE)
            return 0;
    return 1;
}

static int seg_cmp(const void *a, const void *b)
{
    const nt_vseg *x = a, *y = b;
    if (x->vmin != y->vmin)
        return x->vmin < y->vmin ? -1 : 1;
    if (x->vmax != y->vmax)
        return x->vmax < y->vmax ? -1 : 1;
    return x->code - y->code;
}

int nt_value_build(const nt_type *t, nt_vtype *vt)
{
    nt_vcode *vc;
    nt_vseg *sg;
    int nseg = 0;
    double best_nan[2] = { -1, -1 };
    memset(vt, 0, sizeof *vt);
    if (!nt_has_values(t) || t->ncodes <= 0 || t->ncodes > NT_MAX_CODES)
        return -1;
    vc = calloc((size_t)t->ncodes, sizeof *vc);
    sg = calloc((size_t)t->ncodes, sizeof *sg);
    if (!vc || !sg) {
        free(vc);
        free(sg);
        return -1;
    }
    for (int k = 0; k < t->ncodes; k++) {
        const nt_code *c = &t->codes[k];
        nt_vcode *v = &vc[k];
        int s = c->sign < 0;
        v->neg = (uint8_t)s;
        v->rbits = (uint8_t)c->raw_bits;
        switch (c->val) {
        case NT_VAL_RANGE: {
            double last;
            v->kind = NT_VK_RANGE;
            v->lo = c->lo;
            v->step = (c->hi - c->lo) / ldexp(1.0, c->raw_bits);
            last = c->lo + (ldexp(1.0, c->raw_bits) - 1) * v->step;
            sg[nseg].vmin = s ? -last : c->lo;
            sg[nseg].vmax = s ? -c->lo : last;
            sg[nseg++].code = k;
            if (c->lo == 0 && !vt->has_zero[s]) {
                vt->has_zero[s] = 1;
                vt->zero_word[s] = c->first;
            }
            break;
        }
        case NT_VAL_EXACT:
            v->kind = NT_VK_EXACT;
            v->neg = 0; /* the sign is in the value */
            v->lo = c->lo;
            sg[nseg].vmin = sg[nseg].vmax = c->lo;
            sg[nseg++].code = k;
            if (c->lo == 0 && !vt->has_zero[signbit(c->lo) != 0]) {
                vt->has_zero[signbit(c->lo) != 0] = 1;
                vt->zero_word[signbit(c->lo) != 0] = c->first;
            }
            break;
        case NT_VAL_NAN:
            v->kind = NT_VK_NAN;
            /* the canonical NaN of a sign: the first word of its largest NaN run (IEEE: the quiet NaNs) */
            if (c->raw_bits > best_nan[s]) {
                best_nan[s] = c->raw_bits;
                vt->has_nan[s] = 1;
                vt->nan_word[s] = c->first;
            }
            break;
        case NT_VAL_INF:
            v->kind = NT_VK_INF;
            if (!vt->has_inf[s]) {
                vt->has_inf[s] = 1;
                vt->inf_word[s] = c->first;
            }
            break;
        case NT_VAL_BINADES:
            v->kind = NT_VK_BINADES;
            v->ebits = (uint8_t)c->exp_bits;
            v->eshift = (uint8_t)c->exp_shift;
            v->rev = (uint8_t)c->reverse;
            v->scale = (int16_t)c->scale;
            v->lo = c->lo;
            break;
        default:
            break;
        }
    }
    qsort(sg, (size_t)nseg, sizeof *sg, seg_cmp);
    vt->word_bits = t->word_bits;
    vt->ncodes = t->ncodes;
    vt->codes = vc;
    vt->nsegs = nseg;
    vt->segs = sg;
    vt->overflow = (int)t->overflow;
    if (t->format == NT_FMT_POSIT) {
        vt->posit_n = t->fmt_a;
        vt->posit_es = t->fmt_b;
    }
    return 0;
}

void nt_value_release(nt_vtype *vt)
{
    free((void *)vt->codes);
    free((void *)vt->segs);
    memset(vt, 0, sizeof *vt);
}

/* ------------------------------------------------------------------ output */

static const char *bridge_ctype(const nt_type *t)
{
    switch (t->bridge) {
    case NT_BRIDGE_PAIR: return "uint64_t";
    case NT_BRIDGE_FP32: return "uint32_t";
    case NT_BRIDGE_FIXED: return "int32_t";
    default: return nt_word_ctype(t->word_bits);
    }
}

static int pair_fits(const nt_type *t) { return nt_code_width(t) + t->raw_bits_max <= 64; }

static void emit_decls(nt_out *o, const nt_type *t)
{
    const char *n = t->name;
    int values = nt_has_values(t);
    nt_outf(o, "/* ---- the bridge: what a compute engine takes from the decoder (spec/language.md) */\n\n");
    nt_outf(o, "#define %s_CODES %d\n#define %s_CODE_WIDTH %d\n#define %s_RAW_BITS_MAX %d\n", n, t->ncodes, n,
        nt_code_width(t), n, t->raw_bits_max);
    nt_outf(o, "/* The raw (code, bits) pair of a word, and back. */\n");
    nt_outf(o, "int %s_to_pair(%s_word_t w, uint64_t *raw);\n", n, n);
    nt_outf(o, "%s_word_t %s_from_pair(int code, uint64_t raw);\n", n, n);
    if (pair_fits(t))
        nt_outf(o, "/* The pair as one bus word: code << %s_RAW_BITS_MAX | raw. */\n"
               "uint64_t %s_to_pair_bits(%s_word_t w);\n", n, n, n);
    if (values) {
        nt_outf(o, "\n/* Value functions. Rounding is to nearest, ties to the even storage word; ");
        if (t->format == NT_FMT_POSIT)
            nt_outf(o, "posits round in\n * bit space, saturate at maxpos and never round to zero; NaN and infinities give NaR. ");
        else
            nt_outf(o, "a value beyond\n * the largest finite one %s",
                t->overflow == NT_OVERFLOW_INF ? "rounds to infinity (IEEE). "
                : t->overflow == NT_OVERFLOW_NAN ? "(or an infinity) gives NaN. "
                                                 : "(or an infinity) saturates to it. ");
        nt_outf(o, "Exact, libc only (no libm). */\n");
        nt_outf(o, "double %s_to_double(%s_word_t w);\n", n, n);
        nt_outf(o, "float %s_to_float(%s_word_t w);\n", n, n);
        nt_outf(o, "%s_word_t %s_from_double(double x);\n", n, n);
        nt_outf(o, "%s_word_t %s_from_float(float x);\n", n, n);
        nt_outf(o, "/* The bit pattern of the value as an IEEE binary32, rounded to nearest even. */\n");
        nt_outf(o, "uint32_t %s_to_fp32(%s_word_t w);\n", n, n);
    }
    if (t->bridge == NT_BRIDGE_FIXED)
        nt_outf(o, "/* round(value * 2^%d) as a %d-bit two's complement integer, ties to even, saturating; NaN is 0. */\n"
               "int32_t %s_to_fixed(%s_word_t w);\n", t->bridge_frac, t->bridge_width, n, n);
    nt_outf(o, "/* The type's bridge output ('bridge %s'), for n words. */\n",
        t->bridge == NT_BRIDGE_PAIR ? "pair" : t->bridge == NT_BRIDGE_FP32 ? "fp32"
                                         : t->bridge == NT_BRIDGE_FIXED ? "fixed" : "word");
    nt_outf(o, "typedef %s %s_out_t;\n", bridge_ctype(t), n);
    nt_outf(o, "void %s_bridge(%s_out_t *dst, const %s_word_t *src, size_t n);\n\n", n, n, n);
}

static void emit_defs(nt_out *o, const nt_type *t)
{
    const char *n = t->name;
    int values = nt_has_values(t);
    nt_outf(o, "\n/* ================================================================== the bridge */\n\n");
    nt_outf(o, "int %s_to_pair(%s_word_t w, uint64_t *raw)\n{\n    return %s_split(w, raw);\n}\n\n", n, n, n);
    nt_outf(o, "%s_word_t %s_from_pair(int code, uint64_t raw)\n{\n"
           "    return (%s_word_t)(code >= 0 && code < %d ? %s_join(code, raw) : 0);\n}\n\n", n, n, n, t->ncodes, n);
    if (pair_fits(t))
        nt_outf(o, "uint64_t %s_to_pair_bits(%s_word_t w)\n{\n    uint64_t raw;\n    int code = %s_split(w, &raw);\n"
               "    return (uint64_t)code << %d | raw;\n}\n\n", n, n, n, t->raw_bits_max < 64 ? t->raw_bits_max : 0);
    if (values) {
        nt_vtype vt;
        if (nt_value_build(t, &vt) != 0) {
            o->err = 1;
            return;
        }
        nt_outf(o, "/* ================================================================== the value engine */\n");
        nt_outf(o, "/* runtime/nt_value.h, as built into ntc %s */\n", NTC_VERSION);
        for (int i = 0; nt_value_embed_lines[i]; i++)
            nt_outf(o, "%s\n", nt_value_embed_lines[i]);
        nt_outf(o, "\n/* per code: {kind, neg, raw bits, exponent bits, exponent shift, reverse, scale, lo, step} */\n");
        nt_outf(o, "static const nt_vcode %s_vcodes[%d] = {\n", n, t->ncodes);
        for (int k = 0; k < t->ncodes; k++) {
            const nt_vcode *c = &vt.codes[k];
            nt_outf(o, "    {%u, %u, %u, %u, %u, %u, %d, %a, %a}%s\n", c->kind, c->neg, c->rbits, c->ebits, c->eshift,
                c->rev, c->scale, c->lo, c->step, k + 1 < t->ncodes ? "," : "");
        }
        nt_outf(o, "};\n");
        if (vt.nsegs) {
            nt_outf(o, "/* the finite codes by value: {smallest, largest, code} */\n");
            nt_outf(o, "static const nt_vseg %s_vsegs[%d] = {\n", n, vt.nsegs);
            for (int i = 0; i < vt.nsegs; i++)
                nt_outf(o, "    {%a, %a, %d}%s\n", vt.segs[i].vmin, vt.segs[i].vmax, vt.segs[i].code,
                    i + 1 < vt.nsegs ? "," : "");
            nt_outf(o, "};\n");
        }
        nt_outf(o, "static const nt_vtype %s_vtype = {\n", n);
        nt_outf(o, "    %d, %d, %s_vcodes, %d, %s%s,\n", vt.word_bits, vt.ncodes, n, vt.nsegs, vt.nsegs ? n : "0",
            vt.nsegs ? "_vsegs" : "");
        nt_outf(o, "    %d, /* overflow: %s */\n", vt.overflow,
            vt.overflow == NT_OVF_INF ? "infinity" : vt.overflow == NT_OVF_NAN ? "NaN" : "saturate");
        nt_outf(o, "    %d, %d, /* posit n, es */\n", vt.posit_n, vt.posit_es);
        nt_outf(o, "    {%d, %d}, {%d, %d}, {%d, %d}, /* has NaN, infinity, zero: positive, negative */\n", vt.has_nan[0],
            vt.has_nan[1], vt.has_inf[0], vt.has_inf[1], vt.has_zero[0], vt.has_zero[1]);
        nt_outf(o, "    {0x%llxu, 0x%llxu}, {0x%llxu, 0x%llxu}, {0x%llxu, 0x%llxu}, /* their words */\n",
            (unsigned long long)vt.nan_word[0], (unsigned long long)vt.nan_word[1],
            (unsigned long long)vt.inf_word[0], (unsigned long long)vt.inf_word[1],
            (unsigned long long)vt.zero_word[0], (unsigned long long)vt.zero_word[1]);
        nt_outf(o, "    %s_split,\n    %s_join\n};\n\n", n, n);
        nt_value_release(&vt);
        nt_outf(o, "double %s_to_double(%s_word_t w)\n{\n    return nt_value_to_double(&%s_vtype, w);\n}\n\n", n, n, n);
        nt_outf(o, "float %s_to_float(%s_word_t w)\n{\n    return (float)nt_value_to_double(&%s_vtype, w);\n}\n\n", n, n,
            n);
        nt_outf(o, "%s_word_t %s_from_double(double x)\n{\n    return (%s_word_t)nt_value_from_double(&%s_vtype, x);\n}\n\n",
            n, n, n, n);
        nt_outf(o, "%s_word_t %s_from_float(float x)\n{\n    return (%s_word_t)nt_value_from_double(&%s_vtype, (double)x);\n}\n\n",
            n, n, n, n);
        nt_outf(o, "uint32_t %s_to_fp32(%s_word_t w)\n{\n    return nt_value_to_fp32(&%s_vtype, w);\n}\n\n", n, n, n);
        if (t->bridge == NT_BRIDGE_FIXED)
            nt_outf(o, "int32_t %s_to_fixed(%s_word_t w)\n{\n    return (int32_t)nt_value_to_fixed(&%s_vtype, w, %d, %d);\n}\n\n",
                n, n, n, t->bridge_width, t->bridge_frac);
    }
    nt_outf(o, "void %s_bridge(%s_out_t *dst, const %s_word_t *src, size_t n)\n{\n", n, n, n);
    if (t->bridge == NT_BRIDGE_WORD)
        nt_outf(o, "    for (size_t i = 0; i < n; i++)\n        dst[i] = src[i];\n}\n");
    else
        nt_outf(o, "    for (size_t i = 0; i < n; i++)\n        dst[i] = %s_%s(src[i]);\n}\n", n,
            t->bridge == NT_BRIDGE_PAIR ? "to_pair_bits" : t->bridge == NT_BRIDGE_FP32 ? "to_fp32" : "to_fixed");
}

int nt_emit_value(const nt_type *t, FILE *f, int header)
{
    nt_out o = { f, 0 };
    if (header)
        emit_decls(&o, t);
    else
        emit_defs(&o, t);
    return o.err ? -1 : 0;
}
