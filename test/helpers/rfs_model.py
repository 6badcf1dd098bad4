#!/usr/bin/python3
"""An independent model of rfs's `pack` and `unpack` with a directory store, for
tests: a second implementation of the flist format, in another language on other
libraries (hashlib's blake2b, python3-cryptography's AES-GCM, python3-snappy on
Google's C++ snappy), written from threefoldtech/rfs (commit 75e19dc):

  pack    src/pack.rs: the root inode is named "/" with parent 0 and the root's
          metadata; directories are queued (LinkedList push_back / pop_back) and
          packed one at a time, each inserting its own inode then every
          non-directory child at once; children's metadata does not follow
          symlinks (DirEntry::metadata); a symlink's target goes to `extra`;
          regular files are read in BLOB_SIZE = 512 KiB chunks, each stored with
          BlockStore::set and recorded as a `block` row (id, key as blobs); one
          route row per store: `dir://PATH`, 0-255.
  block   src/store/bs.rs BlockStore::set: key = blake2b-256(plain); the raw
          snappy compression of plain is encrypted with AES-256-GCM under key,
          nonce = key[0..12]; id = blake2b-256(encrypted).
  store   src/store/dir.rs: block ID is the file STORE/hex(ID)[0:2]/hex(ID).
  unpack  src/unpack.rs CopyVisitor: walks from inode 1; directories are created,
          files written from their blocks in order and chmod'ed to the inode's
          mode (directories keep the mode mkdir gives them, as in rfs), symlinks
          made with their target (an absolute target is joined to the
          destination, as rfs does); ownership with lchown (`--preserve`).
          Unlike rfs, every block is also checked: blake2b(stored) == id and
          blake2b(plain) == key.

Directory entries are taken in sorted order (rfs takes the file system's), so a
run is the same every time.

  rfs_model.py pack SRC_DIR FL STORE_DIR
  rfs_model.py unpack FL STORE_DIR DEST_DIR
"""
import hashlib
import os
import sqlite3
import stat
import sys

import snappy
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BLOB_SIZE = 512 * 1024

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'rfs-schema.sql')


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def store_path(store, block_id):
    h = block_id.hex()
    return os.path.join(store, h[0:2], h)


def block_set(store, plain):
    key = blake2b256(plain)
    encrypted = AESGCM(key).encrypt(key[:12], snappy.compress(plain), None)
    block_id = blake2b256(encrypted)
    path = store_path(store, block_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(encrypted)
    return block_id, key


def block_get(store, block_id, key):
    path = store_path(store, block_id)
    if not os.path.exists(path):
        path = os.path.join(store, block_id.hex())
    with open(path, 'rb') as f:
        encrypted = f.read()
    assert blake2b256(encrypted) == block_id, f'block {block_id.hex()}: stored bytes do not hash to its id'
    plain = snappy.uncompress(AESGCM(key).decrypt(key[:12], encrypted, None))
    assert blake2b256(plain) == key, f'block {block_id.hex()}: plain bytes do not hash to its key'
    return plain


def insert_inode(db, parent, name, st, data=None):
    cur = db.execute(
        'insert into inode (parent, name, size, uid, gid, mode, rdev, ctime, mtime) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (parent, name, st.st_size, st.st_uid, st.st_gid, st.st_mode, st.st_rdev, int(st.st_ctime), int(st.st_mtime)),
    )
    ino = cur.lastrowid
    if data is not None:
        db.execute('insert into extra (ino, data) values (?, ?)', (ino, data))
    return ino


def pack(src, fl, store):
    if os.path.exists(fl):
        os.unlink(fl)
    db = sqlite3.connect(fl)
    with open(SCHEMA_PATH) as f:
        db.executescript(f.read())
    db.execute('insert into route (start, end, url) values (?, ?, ?)', (0, 255, 'dir://' + os.path.abspath(store)))
    queue = [(0, src, '/', os.stat(src))]
    while queue:
        parent, path, name, st = queue.pop()
        current = insert_inode(db, parent, name, st)
        for child in sorted(os.listdir(path)):
            child_path = os.path.join(path, child)
            cst = os.lstat(child_path)
            if stat.S_ISDIR(cst.st_mode):
                queue.append((current, child_path, child, cst))
                continue
            data = os.fsencode(os.readlink(child_path)) if stat.S_ISLNK(cst.st_mode) else None
            ino = insert_inode(db, current, child, cst, data)
            if not stat.S_ISREG(cst.st_mode):
                continue
            with open(child_path, 'rb') as f:
                while True:
                    chunk = f.read(BLOB_SIZE)
                    if not chunk:
                        break
                    block_id, key = block_set(store, chunk)
                    db.execute('insert into block (ino, id, key) values (?, ?, ?)', (ino, block_id, key))
    db.commit()
    db.close()


def unpack(fl, store, dest):
    db = sqlite3.connect(fl)
    rows = {}
    children = {}
    for r in db.execute('select inode.ino, parent, name, size, uid, gid, mode, extra.data from inode left join extra on inode.ino = extra.ino'):
        rows[r[0]] = r
        children.setdefault(r[1], []).append(r[0])
    stack = [(1, dest)]
    while stack:
        ino, path = stack.pop()
        _, _, name, size, uid, gid, mode, data = rows[ino]
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFDIR:
            os.makedirs(path, exist_ok=True)
            for c in children.get(ino, []):
                stack.append((c, os.path.join(path, rows[c][2])))
        elif kind == stat.S_IFREG:
            with open(path, 'xb') as f:
                for block_id, key in db.execute('select id, key from block where ino = ? order by rowid', (ino,)):
                    f.write(block_get(store, block_id, key))
            assert os.path.getsize(path) == size, f'{path}: {os.path.getsize(path)} bytes, the inode says {size}'
            os.chmod(path, stat.S_IMODE(mode))
        elif kind == stat.S_IFLNK:
            target = os.fsdecode(data if isinstance(data, bytes) else data.encode())
            os.symlink(os.path.join(dest, target.lstrip('/')) if target.startswith('/') else target, path)
        else:
            continue
        os.lchown(path, uid, gid)
    db.close()


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'pack':
        pack(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == 'unpack':
        unpack(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f'unknown command {cmd}')
