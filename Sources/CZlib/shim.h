#ifndef KB_CZLIB_SHIM_H
#define KB_CZLIB_SHIM_H

#include <zlib.h>

/* deflateInit2 and inflateInit2 are macros; Swift calls these instead. */

static inline int kb_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int kb_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}

/* Raw deflate (no header or checksum), for text kept compressed in the knowledge base. */

static inline int kb_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

static inline int kb_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -15);
}

#endif
