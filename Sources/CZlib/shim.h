#ifndef AMANAH_CZLIB_SHIM_H
#define AMANAH_CZLIB_SHIM_H
/* Debian's zlib (zlib1g-dev): inflate for PNG zTXt/iTXt/iCCP and CRC-32 for PNG chunks. */
#include <zlib.h>
#endif
