/*
 * fuzz_decode.c — libFuzzer target for a generated decoder fed arbitrary streams. Built once per
 * type from a file that defines NT_TYPE and includes the generated source first. The decoder
 * must return an error or a word count, never read or write out of bounds, never hang; when it
 * accepts a stream, encoding the words it produced must give a stream that decodes to them again.
 */
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
typedef T(_word_t) word_t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { CAP = 1 << 16 };
    static word_t out[CAP], again[CAP];
    static uint8_t buf[CAP * 8 + 4096];
    size_t got = T(_decode)(out, CAP, data, size);
    if (!T(_is_error)(got)) {
        size_t cap = T(_compress_bound)(got), len, back;
        if (got > CAP || cap > sizeof buf)
            abort();
        len = T(_encode)(buf, cap, out, got);
        if (T(_is_error)(len))
            abort();
        back = T(_decode)(again, CAP, buf, len);
        if (back != got || memcmp(out, again, got * sizeof(word_t)))
            abort();
    }
    return 0;
}
