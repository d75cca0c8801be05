#ifndef AMANAH_CVIPSSHIM_H
#define AMANAH_CVIPSSHIM_H
/*
 * Plain C functions over libvips for VaultImaging. No glib or vips types appear here, so Swift sees only
 * integers, byte pointers and one struct. Every function returns 0 on success or a negative AMANAH_VIPS_*
 * code; amanah_vips_last_error() then describes the failure (libvips' error buffer, copied and cleared).
 */
#include <stddef.h>
#include <stdint.h>

enum {
    AMANAH_VIPS_OK = 0,
    AMANAH_VIPS_ERROR = -1,          /* libvips failed (message in amanah_vips_last_error) */
    AMANAH_VIPS_TOO_MANY_PIXELS = -2, /* width x height above the caller's limit, decided from the header */
    AMANAH_VIPS_MULTI_FRAME = -3,     /* more than one frame or page */
    AMANAH_VIPS_UNSUPPORTED = -4,     /* no allowed loader recognises the data */
    AMANAH_VIPS_BAD_ARGUMENT = -5,
};

/* What the header says, read without decoding any pixel. */
typedef struct amanah_vips_header {
    int width;        /* stored width in pixels (for HEIF: after irot/imir, as libheif presents it) */
    int height;
    int bands;        /* channels including alpha */
    int pages;        /* frames or pages (n-pages), 1 for a still image */
    int has_alpha;
    char loader[48];  /* libvips loader class, e.g. "VipsForeignLoadJpegBuffer" */
} amanah_vips_header;

/* Starts libvips once per process: untrusted and all loaders other than JPEG, PNG, WebP, HEIF, TIFF and
 * GIF blocked, operation cache off, one worker thread. Call before installing a seccomp filter (it may
 * open files). */
int amanah_vips_init(void);

/* The last failure's message (a static buffer valid until the next call into this shim). */
const char *amanah_vips_last_error(void);

/* Reads the header of an image held in memory. Refuses (AMANAH_VIPS_UNSUPPORTED) data that no allowed
 * loader claims. */
int amanah_vips_read_header(const void *data, size_t length, amanah_vips_header *out);

/* Decodes the first frame to 8-bit sRGB, 3 bands, row-major, no padding: alpha flattened onto
 * (bg_r, bg_g, bg_b), then EXIF orientation `orientation` (1-8) applied so that the result is the image
 * as displayed. Refuses from the header alone, before any pixel is decoded, when width x height exceeds
 * `pixel_limit` or the image has more than one frame. On success *pixels (free with amanah_vips_free)
 * holds width x height x 3 bytes. */
int amanah_vips_decode_rgb(const void *data, size_t length, int orientation, uint8_t bg_r, uint8_t bg_g,
                           uint8_t bg_b, uint64_t pixel_limit, uint8_t **pixels, int *width, int *height);

/* Encodes 8-bit RGB pixels (width x height x 3 bytes) as a fresh file with no metadata at all.
 * format 0: baseline JPEG (quality 1-100; subsample 0 = 4:4:4, 1 = 4:2:0), format 1: PNG (8-bit RGB,
 * not interlaced). *out is freed with amanah_vips_free. */
int amanah_vips_encode(const uint8_t *pixels, int width, int height, int format, int quality, int subsample,
                       void **out, size_t *out_length);

/* Frees memory returned by this shim. */
void amanah_vips_free(void *pointer);

#endif
