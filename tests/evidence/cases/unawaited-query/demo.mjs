// 20 posts are created concurrently; 5 of them carry a duplicate tag, which the post_tags primary
// key rejects. Those 5 must fail to the caller and leave nothing; every post reported as created
// must exist with all its tags; no error may escape as an unhandled rejection.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, sleep } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'unawaited INSERTs: posts reported created but missing, unhandled rejections';
const POSTS = 20;
const tagsFor = (i) => (i % 4 === 3 ? ['sql', 'node', 'sql'] : ['sql', 'node', `t${i}`]);

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  const escaped = [];
  const onUnhandled = (reason) => escaped.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await pool.query('DROP TABLE IF EXISTS post_tags, posts');
    await pool.query('CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL)');
    await pool.query('CREATE TABLE post_tags (post_id int REFERENCES posts, tag text, PRIMARY KEY (post_id, tag))');
    const results = await Promise.allSettled(
      Array.from({ length: POSTS }, (_, i) => impl.createPost(pool, `post ${i}`, tagsFor(i))),
    );
    await sleep(50); // let unhandled rejections surface before the listener goes
    const { rows } = await pool.query(
      'SELECT p.id, count(t.tag)::int AS tags FROM posts p LEFT JOIN post_tags t ON t.post_id = p.id GROUP BY p.id',
    );
    const stored = new Map(rows.map((r) => [r.id, r.tags]));
    let missing = 0; // reported created, not there (or without all its tags)
    let wrong = 0; // a duplicate-tag post reported created, or a valid one that failed
    results.forEach((r, i) => {
      const shouldFail = i % 4 === 3;
      if (r.status === 'fulfilled' && stored.get(r.value) !== new Set(tagsFor(i)).size) missing++;
      if ((r.status === 'fulfilled') === shouldFail) wrong++;
    });
    return { missing, wrong, escaped: escaped.length };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await pool.end();
  }
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await round(config, invalid));
    good.push(await round(config, fixed));
  }
  const show = (rs) => rs.map((x) => `${x.missing}/${POSTS} missing, ${x.escaped} unhandled`).join('; ');
  const hurt = (x) => x.missing > 0 || x.wrong > 0 || x.escaped > 0;
  return {
    invalid: { damaged: bad.some(hurt), detail: show(bad) },
    fixed: { damaged: good.some(hurt), detail: show(good) },
  };
}
