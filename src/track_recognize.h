/*-------------------------------------------------------------------------
 *
 * track_recognize.h
 *	  Which migration tool a version table belongs to, from its columns.
 *
 * Several tools keep their versions in a table named schema_migrations
 * with columns of their own; the name alone says nothing.  The columns are
 * read from the catalog caches (no SQL, so nothing a table's owner
 * controls runs), and compared with the DDL each tool issues.
 *
 * IDENTIFICATION
 *	  src/track_recognize.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TRACK_RECOGNIZE_H
#define PGM_TRACK_RECOGNIZE_H

typedef enum PgmTableShape
{
	PGM_SHAPE_GOLANG_MIGRATE,	/* version integer, dirty boolean */
	PGM_SHAPE_ECTO,				/* version bigint, inserted_at timestamp */
	PGM_SHAPE_DBMATE_RAILS,		/* version character varying, alone */
	PGM_SHAPE_GOOSE,			/* version_id bigint, is_applied boolean */
	PGM_SHAPE_SQLX,				/* version bigint, success, checksum bytea */
	PGM_SHAPE_FLYWAY,			/* installed_rank, version, script, checksum
								 * integer, success */
	PGM_SHAPE_DIESEL,			/* version character varying, run_on */
	PGM_SHAPE_PRISMA,			/* id, checksum, migration_name, finished_at,
								 * rolled_back_at */
	PGM_SHAPE_DRIZZLE,			/* id, hash text, created_at bigint */
	PGM_SHAPE_UNKNOWN
} PgmTableShape;

/* The tool whose DDL the columns of relid match. */
extern PgmTableShape pgm_track_recognize(Oid relid);

/* The tool, for messages: "Ecto", "dbmate/Rails", ..., "unknown". */
extern const char *pgm_track_shape_name(PgmTableShape shape);

/*
 * The columns of relid as "name type, ...", names quoted as needed; NULL
 * when it has none.
 */
extern char *pgm_track_describe_columns(Oid relid);

#endif							/* PGM_TRACK_RECOGNIZE_H */
