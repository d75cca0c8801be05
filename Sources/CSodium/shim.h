#ifndef AMANAH_CSODIUM_SHIM_H
#define AMANAH_CSODIUM_SHIM_H
#include <sodium.h>
#endif
