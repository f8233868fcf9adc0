#!/bin/sh
# The main job, run inside the VM: mount the selftests' passthrough daemon on
# a backing directory, run a short workload on it, show what happened.
set -e
transport=${1:-uring}
bin=/kselftest/fuse
# The ring transport is opt-in: the fuse module must allow it
[ "$transport" = dev ] || echo Y >/sys/module/fuse/parameters/enable_uring
mkdir -p /tmp/backing /tmp/mnt
$bin/fuse_passthrough -t "$transport" -j 2 -s /results/daemon-stats /tmp/backing /tmp/mnt &
daemon=$!
for _ in $(seq 50); do
	grep -q ' /tmp/mnt fuse' /proc/mounts && break
	sleep 0.1
done
grep ' /tmp/mnt ' /proc/mounts
echo "demo: writing, copying and checking files through the mount"
dd if=/dev/urandom of=/tmp/src bs=64k count=64 2>/dev/null
cp /tmp/src /tmp/mnt/file1
mkdir /tmp/mnt/dir
cp /tmp/mnt/file1 /tmp/mnt/dir/file2
cmp /tmp/src /tmp/mnt/dir/file2
cmp /tmp/src /tmp/backing/dir/file2
ln -s file1 /tmp/mnt/link
mv /tmp/mnt/dir/file2 /tmp/mnt/file3
ls -la /tmp/mnt
rm /tmp/mnt/file3 /tmp/mnt/link
rmdir /tmp/mnt/dir
if command -v fio >/dev/null; then
	echo "demo: fio 4k random read/write with verify, 2 jobs"
	fio --name=demo --directory=/tmp/mnt --size=8m --bs=4k --rw=randrw \
		--numjobs=2 --verify=crc32c --ioengine=psync --group_reporting \
		--runtime=10 | grep -E 'READ:|WRITE:|err='
fi
kill -TERM $daemon
wait $daemon
echo "demo: daemon stats (transport, requests by opcode):"
cat /results/daemon-stats

# The same through libfuse (libfuse/*.patch): its passthrough_ll example
# with -o io_uring, when make run copied it in.
lf=/work/libfuse/passthrough_ll
[ -x "$lf" ] && [ "$transport" != dev ] || exit 0
echo "demo: libfuse's passthrough_ll -o io_uring, the same files"
mkdir -p /tmp/backing2 /tmp/mnt2
$lf -f -d -o source=/tmp/backing2,io_uring /tmp/mnt2 2>/results/libfuse.log &
daemon=$!
for _ in $(seq 50); do
	grep -q ' /tmp/mnt2 fuse' /proc/mounts && break
	sleep 0.1
done
cp /tmp/src /tmp/mnt2/file1
mkdir /tmp/mnt2/dir
cp /tmp/mnt2/file1 /tmp/mnt2/dir/file2
cmp /tmp/src /tmp/backing2/dir/file2
rm -r /tmp/mnt2/dir /tmp/mnt2/file1
umount /tmp/mnt2
wait $daemon
grep -E 'FUSE_INIT: io_uring|failed to start io-uring' /results/libfuse.log
echo "demo: libfuse requests over the ring: $(grep -c 'ring unique:' /results/libfuse.log)," \
	"over /dev/fuse: $(grep -c 'dev unique:' /results/libfuse.log)"
