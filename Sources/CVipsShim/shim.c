#include "CVipsShim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>
#include <vips/vector.h>

/* Per thread, so that callers on several threads (tests run in parallel) never read each other's errors. */
static _Thread_local char last_error[1024];
static int init_status = AMANAH_VIPS_ERROR;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[1024];

static void set_error(const char *prefix) {
    const char *buffer = vips_error_buffer();
    snprintf(last_error, sizeof last_error, "%s%s%s", prefix ? prefix : "", (prefix && buffer && *buffer) ? ": " : "",
             buffer ? buffer : "");
    size_t n = strlen(last_error);
    while (n > 0 && (last_error[n - 1] == '\n' || last_error[n - 1] == ' ')) last_error[--n] = '\0';
    vips_error_clear();
}

const char *amanah_vips_last_error(void) { return last_error; }

void amanah_vips_free(void *pointer) { g_free(pointer); }

static const char *const allowed_loaders[] = {
    "VipsForeignLoadJpegBuffer", "VipsForeignLoadPngBuffer", "VipsForeignLoadWebpBuffer", "VipsForeignLoadHeifBuffer",
    "VipsForeignLoadTiffBuffer", "VipsForeignLoadNsgifBuffer", NULL,
};
static const char *const allowed_classes[] = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp", "VipsForeignLoadHeif", "VipsForeignLoadTiff",
    "VipsForeignLoadNsgif", NULL,
};

/* glib's default log writer probes standard error (getpeername for journald, isatty), system calls the
 * sandbox's seccomp filter forbids. This writer only formats the message and write()s it to fd 2. */
static GLogWriterOutput plain_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data) {
    (void)data;
    static int written = 0; /* a damaged file can warn once per row: keep the first 100 lines */
    int fatal = (level & G_LOG_LEVEL_ERROR) != 0;
    if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))) return G_LOG_WRITER_HANDLED;
    if (!fatal && __atomic_fetch_add(&written, 1, __ATOMIC_RELAXED) >= 100) return G_LOG_WRITER_HANDLED;
    const char *domain = "", *message = "";
    for (gsize i = 0; i < n_fields; i++) {
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0) domain = fields[i].value;
        if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0) message = fields[i].value;
    }
    char line[1024];
    int n = snprintf(line, sizeof line, "amanah-vips: %s%s%s\n", domain, *domain ? ": " : "", message);
    if (n > 0) {
        size_t length = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        ssize_t ignored = write(2, line, length);
        (void)ignored;
    }
    if (fatal) abort(); /* g_error() never returns; the message above tells the parent why */
    return G_LOG_WRITER_HANDLED;
}

static void initialise_once(void) {
    g_log_set_writer_func(plain_log_writer, NULL, NULL);
    /* Large images stay in memory (bounded by the child's address-space limit): libvips would otherwise put
       an image above 100 MiB decoded in a temporary file, which the sandbox cannot create. */
    setenv("VIPS_DISC_THRESHOLD", "1000g", 1);
    if (VIPS_INIT("amanah") != 0) {
        set_error("libvips initialisation failed");
        snprintf(init_error, sizeof init_error, "%s", last_error);
        return;
    }
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (int i = 0; allowed_classes[i]; i++) vips_operation_block_set(allowed_classes[i], FALSE);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_concurrency_set(1);
    /* No run-time code generation (liborc): the parser's filter refuses memory that is both writable and
       executable, so vector paths would have nowhere to put their code. */
    vips_vector_set_enabled(FALSE);
    init_status = AMANAH_VIPS_OK;
}

int amanah_vips_init(void) {
    pthread_once(&init_once, initialise_once);
    if (init_status != AMANAH_VIPS_OK) snprintf(last_error, sizeof last_error, "%s", init_error);
    return init_status;
}

static int loader_allowed(const char *name) {
    if (!name) return 0;
    for (int i = 0; allowed_loaders[i]; i++)
        if (strcmp(name, allowed_loaders[i]) == 0) return 1;
    return 0;
}

static VipsImage *open_image(const void *data, size_t length, amanah_vips_header *header, int *status) {
    if (amanah_vips_init() != 0) { *status = AMANAH_VIPS_ERROR; return NULL; }
    if (!data || length == 0) {
        snprintf(last_error, sizeof last_error, "empty input");
        *status = AMANAH_VIPS_BAD_ARGUMENT;
        return NULL;
    }
    const char *loader = vips_foreign_find_load_buffer(data, length);
    if (!loader_allowed(loader)) {
        vips_error_clear();
        snprintf(last_error, sizeof last_error, "not a JPEG, PNG, WebP, HEIF, TIFF or GIF image%s%s",
                 loader ? " (loader " : "", loader ? loader : "");
        if (loader) strncat(last_error, ")", sizeof last_error - strlen(last_error) - 1);
        *status = AMANAH_VIPS_UNSUPPORTED;
        return NULL;
    }
    VipsImage *image = vips_image_new_from_buffer(data, length, "", NULL);
    if (!image) {
        set_error("cannot read the image header");
        *status = AMANAH_VIPS_ERROR;
        return NULL;
    }
    memset(header, 0, sizeof *header);
    header->width = vips_image_get_width(image);
    header->height = vips_image_get_height(image);
    header->bands = vips_image_get_bands(image);
    header->pages = vips_image_get_n_pages(image);
    header->has_alpha = vips_image_hasalpha(image) ? 1 : 0;
    snprintf(header->loader, sizeof header->loader, "%s", loader);
    *status = AMANAH_VIPS_OK;
    return image;
}

int amanah_vips_read_header(const void *data, size_t length, amanah_vips_header *out) {
    if (!out) return AMANAH_VIPS_BAD_ARGUMENT;
    int status;
    VipsImage *image = open_image(data, length, out, &status);
    if (!image) return status;
    g_object_unref(image);
    return AMANAH_VIPS_OK;
}

/* Replaces *image with the result of an operation, dropping the reference to the old one. */
#define STEP(call) do { VipsImage *next_ = NULL; if ((call) != 0) { set_error("decoding failed"); g_object_unref(image); return AMANAH_VIPS_ERROR; } g_object_unref(image); image = next_; } while (0)

int amanah_vips_decode_rgb(const void *data, size_t length, int orientation, uint8_t bg_r, uint8_t bg_g,
                           uint8_t bg_b, uint64_t pixel_limit, uint8_t **pixels, int *width, int *height) {
    if (!pixels || !width || !height || orientation < 1 || orientation > 8) return AMANAH_VIPS_BAD_ARGUMENT;
    *pixels = NULL;
    amanah_vips_header header;
    int status;
    VipsImage *image = open_image(data, length, &header, &status);
    if (!image) return status;
    if ((uint64_t)header.width * (uint64_t)header.height > pixel_limit) {
        snprintf(last_error, sizeof last_error, "rejected: dimensions exceed limit (%dx%d is more than %llu pixels)",
                 header.width, header.height, (unsigned long long)pixel_limit);
        g_object_unref(image);
        return AMANAH_VIPS_TOO_MANY_PIXELS;
    }
    if (header.pages > 1) {
        snprintf(last_error, sizeof last_error, "rejected: %d frames or pages (only single-frame images are processed)",
                 header.pages);
        g_object_unref(image);
        return AMANAH_VIPS_MULTI_FRAME;
    }
    STEP(vips_colourspace(image, &next_, VIPS_INTERPRETATION_sRGB, NULL));
    if (vips_image_hasalpha(image)) {
        VipsArrayDouble *background = vips_array_double_newv(3, (double)bg_r, (double)bg_g, (double)bg_b);
        VipsImage *next_ = NULL;
        int failed = vips_flatten(image, &next_, "background", background, NULL);
        vips_area_unref(VIPS_AREA(background));
        if (failed) { set_error("decoding failed"); g_object_unref(image); return AMANAH_VIPS_ERROR; }
        g_object_unref(image);
        image = next_;
    }
    if (vips_image_get_bands(image) > 3) STEP(vips_extract_band(image, &next_, 0, "n", 3, NULL));
    if (vips_image_get_format(image) != VIPS_FORMAT_UCHAR) STEP(vips_cast_uchar(image, &next_, NULL));
    switch (orientation) {
    case 2: STEP(vips_flip(image, &next_, VIPS_DIRECTION_HORIZONTAL, NULL)); break;
    case 3: STEP(vips_rot(image, &next_, VIPS_ANGLE_D180, NULL)); break;
    case 4: STEP(vips_flip(image, &next_, VIPS_DIRECTION_VERTICAL, NULL)); break;
    case 5:
        STEP(vips_rot(image, &next_, VIPS_ANGLE_D90, NULL));
        STEP(vips_flip(image, &next_, VIPS_DIRECTION_HORIZONTAL, NULL));
        break;
    case 6: STEP(vips_rot(image, &next_, VIPS_ANGLE_D90, NULL)); break;
    case 7:
        STEP(vips_rot(image, &next_, VIPS_ANGLE_D270, NULL));
        STEP(vips_flip(image, &next_, VIPS_DIRECTION_HORIZONTAL, NULL));
        break;
    case 8: STEP(vips_rot(image, &next_, VIPS_ANGLE_D270, NULL)); break;
    default: break;
    }
    if (vips_image_get_bands(image) != 3) {
        snprintf(last_error, sizeof last_error, "unexpected band count %d after conversion", vips_image_get_bands(image));
        g_object_unref(image);
        return AMANAH_VIPS_ERROR;
    }
    size_t size = 0;
    void *memory = vips_image_write_to_memory(image, &size);
    int w = vips_image_get_width(image), h = vips_image_get_height(image);
    g_object_unref(image);
    if (!memory) { set_error("decoding failed"); return AMANAH_VIPS_ERROR; }
    if (size != (size_t)w * (size_t)h * 3) {
        g_free(memory);
        snprintf(last_error, sizeof last_error, "decoded size mismatch");
        return AMANAH_VIPS_ERROR;
    }
    *pixels = memory;
    *width = w;
    *height = h;
    return AMANAH_VIPS_OK;
}

int amanah_vips_encode(const uint8_t *pixels, int width, int height, int format, int quality, int subsample,
                       void **out, size_t *out_length) {
    if (!pixels || !out || !out_length || width <= 0 || height <= 0 || quality < 1 || quality > 100) return AMANAH_VIPS_BAD_ARGUMENT;
    if (amanah_vips_init() != 0) return AMANAH_VIPS_ERROR;
    *out = NULL;
    *out_length = 0;
    /* A brand-new image over the caller's pixels: it carries no metadata of any kind. */
    VipsImage *image = vips_image_new_from_memory(pixels, (size_t)width * (size_t)height * 3, width, height, 3, VIPS_FORMAT_UCHAR);
    if (!image) { set_error("encoding failed"); return AMANAH_VIPS_ERROR; }
    image->Type = VIPS_INTERPRETATION_sRGB;
    int failed;
    if (format == 0) {
        failed = vips_jpegsave_buffer(image, out, out_length, "Q", quality, "strip", TRUE, "optimize_coding", TRUE,
                                      "interlace", FALSE,
                                      "subsample_mode", subsample ? VIPS_FOREIGN_SUBSAMPLE_ON : VIPS_FOREIGN_SUBSAMPLE_OFF,
                                      NULL);
    } else if (format == 1) {
        failed = vips_pngsave_buffer(image, out, out_length, "strip", TRUE, "compression", 6, "interlace", FALSE, NULL);
    } else {
        g_object_unref(image);
        return AMANAH_VIPS_BAD_ARGUMENT;
    }
    g_object_unref(image);
    if (failed) { set_error("encoding failed"); return AMANAH_VIPS_ERROR; }
    return AMANAH_VIPS_OK;
}
