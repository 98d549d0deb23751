#!/usr/bin/env node
// Writes docs/conformance.md from the built catalogue (npm run build first).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { conformanceDoc } from '../dist/src/conform/doc.js';

const file = fileURLToPath(new URL('../docs/conformance.md', import.meta.url));
writeFileSync(file, conformanceDoc());
process.stdout.write(`wrote ${file}\n`);
