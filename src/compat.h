/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The PostgreSQL versions pg_migrate builds against, and every
 *	  PG_VERSION_NUM difference it cares about, in one place.
 *
 * pg_migrate is built and tested against PostgreSQL 15 only: Debian 12,
 * where it is developed, ships no other server headers.  Older versions
 * lack APIs it uses (InitMaterializedSRF, MarkGUCPrefixReserved,
 * pg_analyze_and_rewrite_fixedparams) and are refused at compile time.
 * Newer versions are untested: their API differences (the backend-status
 * lookup the jobs use, PortalRun's arguments) need a branch here, built
 * and tested, before pg_migrate claims them.
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_COMPAT_H
#define PGM_COMPAT_H

#include "postgres.h"

#include "funcapi.h"
#include "parser/parser.h"

#if PG_VERSION_NUM < 150000
#error "pg_migrate requires PostgreSQL 15"
#endif

#define pgm_raw_parser(str) raw_parser((str), RAW_PARSE_DEFAULT)
#define pgm_init_materialized_srf(fcinfo) InitMaterializedSRF((fcinfo), 0)

#endif							/* PGM_COMPAT_H */
