#ifndef HYPERION_CPOPPLER_SHIM_H
#define HYPERION_CPOPPLER_SHIM_H
#include <poppler.h>
#include <glib.h>
#include <glib-object.h>
#endif
