/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  Who may read migration folders.
 *
 * IDENTIFICATION
 *	  src/policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_POLICY_H
#define PGM_POLICY_H

/* Raises 42501 unless the current user may read files on the server. */
extern void pgm_check_access(void);

#endif							/* PGM_POLICY_H */
