// postgres-migrations has no CLI that applies: this is the smallest program
// that does.  usage: node pgmig.js NODE_MODULES DIR (connection from PG*).
const path = require('path');
const nm = process.argv[2];
const { migrate } = require(path.join(nm, 'postgres-migrations'));
const pg = require(path.join(nm, 'pg'));

(async () => {
	const client = new pg.Client();
	await client.connect();
	try {
		const applied = await migrate({ client }, process.argv[3]);
		console.log(applied.length);
	} finally {
		await client.end();
	}
})().catch((e) => { console.error(e); process.exit(1); });
