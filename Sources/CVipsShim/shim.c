#include "CVipsShim.h"
int amanah_vips_placeholder(void) { return 0; }
