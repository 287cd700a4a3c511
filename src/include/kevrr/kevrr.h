/*
 * kevrr/kevrr.h: the whole public API of the kevrr core library.
 */
#ifndef KEVRR_KEVRR_H
#define KEVRR_KEVRR_H

#include "kevrr/build.h"
#include "kevrr/decode.h"
#include "kevrr/drift.h"
#include "kevrr/error.h"
#include "kevrr/events.h"
#include "kevrr/kernel.h"
#include "kevrr/store.h"
#include "kevrr/strbuf.h"
#include "kevrr/value.h"
#include "kevrr/wire.h"
#include "kevrr/world.h"

#define KEVRR_VERSION_STRING "0.1.0"

#endif
