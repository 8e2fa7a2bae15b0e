#!/usr/bin/env node
// Verifies an ed25519 signature (raw 64 bytes, as package-agent.mjs writes it) of a file against a public key (SPKI
// PEM). install.sh runs it with a Node.js it already trusts when there is one (the installed agent's), else with the
// node of the artifact it just checked against its .sha256; openssl is used instead when it can (docs/agent-install.md).
// No dependencies: node:crypto only.
//
//   node verify-signature.mjs <file> <file.sig> <signing-key.pub.pem>    exit 0 valid, 1 invalid, 2 usage/unreadable
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [file, sigFile, keyFile] = process.argv.slice(2);
if (!file || !sigFile || !keyFile) {
  process.stderr.write('usage: verify-signature.mjs <file> <file.sig> <signing-key.pub.pem>\n');
  process.exit(2);
}
let key;
let sig;
let bytes;
try {
  key = createPublicKey(readFileSync(keyFile));
  sig = readFileSync(sigFile);
  bytes = readFileSync(file);
} catch (err) {
  process.stderr.write(`verify-signature: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
if (key.asymmetricKeyType !== 'ed25519') {
  process.stderr.write(`verify-signature: ${keyFile} is a ${key.asymmetricKeyType} key, not ed25519\n`);
  process.exit(2);
}
let ok = false;
try {
  ok = sig.length === 64 && verify(null, bytes, key, sig);
} catch {
  ok = false;
}
if (!ok) {
  process.stderr.write(`verify-signature: BAD signature: ${file} is not signed by ${keyFile}\n`);
  process.exit(1);
}
process.stdout.write(`signature OK (ed25519, ${keyFile})\n`);
