#ifndef AMANAH_CVIPS_SHIM_H
#define AMANAH_CVIPS_SHIM_H
#include <vips/vips.h>
#endif
