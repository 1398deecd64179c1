#ifndef FACELET_CSQLITE_SHIM_H
#define FACELET_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast macro that Swift cannot import.
static const sqlite3_destructor_type facelet_sqlite_transient = SQLITE_TRANSIENT;
static const sqlite3_destructor_type facelet_sqlite_static = SQLITE_STATIC;

#endif
