/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PG_VERSION_NUM difference pg_migrate cares about, in one place.
 *
 * Only PostgreSQL 15 is tested here; the shims keep 13-18 within reach.
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_COMPAT_H
#define PGM_COMPAT_H

#include "postgres.h"

#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "parser/parser.h"

#if PG_VERSION_NUM >= 140000
#include "common/cryptohash.h"
#include "common/sha2.h"
#else
#include "common/sha2.h"
#endif

/* predefined roles were "default roles" before 14 */
#if PG_VERSION_NUM < 140000
#define ROLE_PG_READ_SERVER_FILES DEFAULT_ROLE_READ_SERVER_FILES
#endif

/* raw_parser() grew a mode argument in 14 */
#if PG_VERSION_NUM >= 140000
#define pgm_raw_parser(str) raw_parser((str), RAW_PARSE_DEFAULT)
#else
#define pgm_raw_parser(str) raw_parser(str)
#endif

/* InitMaterializedSRF() arrived in 15 (SetSingleFuncCall in early 15 betas) */
#if PG_VERSION_NUM >= 150000
#define pgm_init_materialized_srf(fcinfo) InitMaterializedSRF((fcinfo), 0)
#else
static inline void
pgm_init_materialized_srf(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcontext;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(oldcontext);
}
#endif

/* SHA-256 of a buffer; the cryptohash API replaced pg_sha256_* in 14 */
static inline void
pgm_sha256(const uint8 *data, size_t len, uint8 digest[PG_SHA256_DIGEST_LENGTH])
{
#if PG_VERSION_NUM >= 140000
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, data, len) < 0 ||
#if PG_VERSION_NUM >= 150000
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
#else
		pg_cryptohash_final(ctx, digest) < 0)
#endif
		elog(ERROR, "could not compute SHA-256 checksum");
	pg_cryptohash_free(ctx);
#else
	pg_sha256_ctx ctx;

	pg_sha256_init(&ctx);
	pg_sha256_update(&ctx, data, len);
	pg_sha256_final(&ctx, digest);
#endif
}

#endif							/* PGM_COMPAT_H */
