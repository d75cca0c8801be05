#ifndef AMANAH_CVIPSSHIM_H
#define AMANAH_CVIPSSHIM_H
/* Plain C functions over libvips; no glib types in this header. Filled in by the imaging issue. */
int amanah_vips_placeholder(void);
#endif
