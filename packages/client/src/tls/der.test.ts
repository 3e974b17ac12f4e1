import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as der from './der.js';

// (name, encoding, expected hex): known encodings from X.690 and RFC 5280 examples.
const vectors: Array<[string, () => Buffer, string]> = [
  ['length 0', () => der.encodeLength(0), '00'],
  ['length 127 (short form)', () => der.encodeLength(127), '7f'],
  ['length 128 (long form)', () => der.encodeLength(128), '8180'],
  ['length 256', () => der.encodeLength(256), '820100'],
  ['length 65535', () => der.encodeLength(65535), '82ffff'],
  ['length 65536', () => der.encodeLength(65536), '83010000'],
  ['INTEGER 0', () => der.integer(0), '020100'],
  ['INTEGER 127', () => der.integer(127), '02017f'],
  ['INTEGER 128 needs a sign byte', () => der.integer(128), '02020080'],
  ['INTEGER 256', () => der.integer(256), '02020100'],
  ['INTEGER -1', () => der.integer(-1), '0201ff'],
  ['INTEGER -128', () => der.integer(-128), '020180'],
  ['INTEGER -129', () => der.integer(-129), '0202ff7f'],
  ['INTEGER 2^64', () => der.integer(2n ** 64n), '0209010000000000000000'],
  ['unsigned INTEGER strips zeros', () => der.unsignedInteger(Buffer.from([0, 0, 0x12])), '020112'],
  ['unsigned INTEGER pads a high bit', () => der.unsignedInteger(Buffer.from([0x80, 0x01])), '0203008001'],
  ['unsigned INTEGER zero', () => der.unsignedInteger(Buffer.from([0, 0])), '020100'],
  ['BOOLEAN true', () => der.boolean(true), '0101ff'],
  ['BOOLEAN false', () => der.boolean(false), '010100'],
  ['NULL', () => der.nullValue(), '0500'],
  ['OID commonName', () => der.oid('2.5.4.3'), '0603550403'],
  ['OID ecdsa-with-SHA256', () => der.oid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
  ['OID serverAuth', () => der.oid('1.3.6.1.5.5.7.3.1'), '06082b06010505070301'],
  ['OID with a large first arc pair', () => der.oid('2.999.3'), '0603883703'],
  ['BIT STRING', () => der.bitString(Buffer.from([0xab])), '030200ab'],
  ['KeyUsage digitalSignature', () => der.namedBits([0]), '03020780'],
  ['KeyUsage keyEncipherment+digitalSignature', () => der.namedBits([0, 2]), '030205a0'],
  ['KeyUsage bit 8', () => der.namedBits([8]), '0303070080'],
  ['OCTET STRING', () => der.octetString(Buffer.from([1, 2])), '04020102'],
  ['UTF8String', () => der.utf8String('pico é'), '0c077069636f20c3a9'],
  ['PrintableString', () => der.printableString('US'), '13025553'],
  ['IA5String', () => der.ia5String('a.b'), '1603612e62'],
  ['UTCTime', () => der.utcTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '170d3236303130323033303430355a'],
  ['Time before 2050 is UTCTime', () => der.x509Time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59))), '170d3439313233313233353935395a'],
  ['Time from 2050 is GeneralizedTime', () => der.x509Time(new Date(Date.UTC(2050, 0, 1))), '180f32303530303130313030303030305a'],
  ['SEQUENCE', () => der.sequence(der.integer(1), der.nullValue()), '30050201010500'],
  ['empty SEQUENCE', () => der.sequence(), '3000'],
  ['SET OF sorts its elements', () => der.setOf(der.integer(2), der.integer(1)), '3106020101020102'],
  ['[0] EXPLICIT version v3', () => der.explicit(0, der.integer(2)), 'a003020102'],
  ['[2] IMPLICIT dNSName', () => der.implicit(2, Buffer.from('a')), '820161'],
  ['long content uses the long length form', () => der.octetString(Buffer.alloc(200)), '0481c8' + '00'.repeat(200)],
];

for (const [name, encode, hex] of vectors) {
  test(`DER ${name}`, () => {
    assert.equal(encode().toString('hex'), hex);
  });
}

test('DER refuses values its types cannot hold', () => {
  assert.throws(() => der.oid('3.1'), RangeError);
  assert.throws(() => der.oid('1.40'), RangeError);
  assert.throws(() => der.oid('1.2.x'), RangeError);
  assert.throws(() => der.utcTime(new Date(Date.UTC(2050, 0, 1))), RangeError);
  assert.throws(() => der.printableString('a@b'), RangeError);
  assert.throws(() => der.ia5String('é'), RangeError);
  assert.throws(() => der.bitString(Buffer.alloc(1), 8), RangeError);
  assert.throws(() => der.integer(2 ** 60), RangeError);
  assert.throws(() => der.explicit(31, der.nullValue()), RangeError);
  assert.throws(() => der.encodeLength(-1), RangeError);
});

test('openssl reads a nested structure the way it was built', () => {
  const encoded = der.sequence(der.integer(-129), der.oid('1.2.840.10045.4.3.2'), der.explicit(3, der.sequence(der.utf8String('x'))), der.octetString(Buffer.alloc(300)));
  const dump = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: encoded }).toString();
  assert.match(dump, /INTEGER\s+:-81/);
  assert.match(dump, /OBJECT\s+:ecdsa-with-SHA256/);
  assert.match(dump, /cont \[ 3 \]/);
  assert.match(dump, /UTF8STRING\s+:x/);
  assert.match(dump, /l= 300 prim: OCTET STRING/);
});
