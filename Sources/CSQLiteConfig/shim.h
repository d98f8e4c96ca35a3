#ifndef KB_CSQLITECONFIG_SHIM_H
#define KB_CSQLITECONFIG_SHIM_H

#include <sqlite3.h>

/* sqlite3_config is variadic; Swift calls this instead. */

/*
 * Memory for a process that opens one file, runs one query and ends (`kb search`): no initial bulk of page
 * cache lines per connection (pages are allocated as they are read), and a small lookaside. SQLite writes into
 * every line of the bulk and every slot of the lookaside when a connection opens, so each of their memory
 * pages costs a page fault whether the query needs it or not. Must run before SQLite is first used; returns
 * SQLITE_MISUSE (and changes nothing) after.
 */
static inline int kb_sqlite_configure_short_process(void) {
    int code = sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
    if (code != SQLITE_OK) return code;
    return sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 256, 32);
}

#endif
