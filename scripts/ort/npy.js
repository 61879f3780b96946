'use strict';
// Minimal .npy (NumPy format 1.0/2.0/3.0) reader and writer for little-endian,
// C-ordered arrays of float32, float64, int8, uint8, int32, int64 and bool.
// Written for qnt; no dependencies.

const fs = require('fs');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// descr (without byte-order char) -> [ORT tensor type, TypedArray, itemsize]
const DTYPES = {
  f4: ['float32', Float32Array, 4],
  f8: ['float64', Float64Array, 8],
  i1: ['int8', Int8Array, 1],
  u1: ['uint8', Uint8Array, 1],
  i4: ['int32', Int32Array, 4],
  i8: ['int64', BigInt64Array, 8],
  b1: ['bool', Uint8Array, 1],
};
const BY_ORT_TYPE = {};
for (const [descr, [ortType]] of Object.entries(DTYPES)) BY_ORT_TYPE[ortType] = descr;

function parseHeader(text, file) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new Error(`${file}: malformed .npy header: ${text.trim()}`);
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: bad shape ${shape[1]}`);
      return v;
    });
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims };
}

// Returns {type, data (TypedArray, own buffer), shape, descr}.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new Error(`${file}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${file}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}`);
  }
  if (buf.length < offset + headerLen) throw new Error(`${file}: truncated .npy header`);
  const header = parseHeader(buf.toString('latin1', offset, offset + headerLen), file);
  offset += headerLen;
  if (header.fortran) throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  const order = header.descr[0];
  const key = header.descr.slice(1);
  if (!(key in DTYPES)) throw new Error(`${file}: unsupported dtype ${header.descr}`);
  const [type, Ctor, itemsize] = DTYPES[key];
  if (order === '>' && itemsize > 1) {
    throw new Error(`${file}: big-endian dtype ${header.descr} is not supported`);
  }
  const count = header.shape.reduce((a, b) => a * b, 1);
  const nbytes = count * itemsize;
  if (buf.length - offset < nbytes) {
    throw new Error(`${file}: truncated .npy data: ${buf.length - offset} bytes, ` +
      `expected ${nbytes} for shape [${header.shape}] ${header.descr}`);
  }
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(offset, offset + nbytes));
  return { type, data: new Ctor(ab), shape: header.shape, descr: header.descr };
}

// Write a TypedArray with an ORT tensor type name and a shape as .npy (v1.0).
function writeNpy(file, type, data, shape) {
  const key = BY_ORT_TYPE[type];
  if (!key) throw new Error(`cannot write tensor type ${type} to .npy`);
  const order = DTYPES[key][2] === 1 ? '|' : '<';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${order}${key}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so that magic + version + length + header is a multiple of 64 bytes.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { readNpy, writeNpy, DTYPES };
