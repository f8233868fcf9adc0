// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim giving fio System V shared memory on a kernel built
 * without CONFIG_SYSVIPC (tinyconfig; vm/bench-guest.sh uses it when the
 * VM's kernel has no /proc/sysvipc): fio keeps its job
 * table in a shmget() segment that its forked jobs share. Here a segment is
 * an anonymous MAP_SHARED mapping, which fork() shares just the same. Only
 * IPC_PRIVATE segments attached in the creating process are supported,
 * which is all fio needs.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define MAX_SEGS 256

static struct {
	void *addr;
	size_t size;
} segs[MAX_SEGS];

static int seg_index(int id)
{
	if (id < 1 || id > MAX_SEGS || !segs[id - 1].addr) {
		errno = EINVAL;
		return -1;
	}
	return id - 1;
}

int shmget(key_t key, size_t size, int flags)
{
	void *addr;
	int i;

	(void)flags;
	if (key != IPC_PRIVATE || !size) {
		errno = key != IPC_PRIVATE ? ENOSYS : EINVAL;
		return -1;
	}
	for (i = 0; i < MAX_SEGS && segs[i].addr; i++)
		;
	if (i == MAX_SEGS) {
		errno = ENOSPC;
		return -1;
	}
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (addr == MAP_FAILED)
		return -1;
	segs[i].addr = addr;
	segs[i].size = size;
	return i + 1;
}

void *shmat(int id, const void *addr, int flags)
{
	int i = seg_index(id);

	(void)addr;
	(void)flags;
	return i < 0 ? (void *)-1 : segs[i].addr;
}

/* Detaching unmaps: fio detaches each segment once, when done with it */
int shmdt(const void *addr)
{
	int i;

	for (i = 0; i < MAX_SEGS; i++) {
		if (segs[i].addr && segs[i].addr == addr) {
			munmap(segs[i].addr, segs[i].size);
			segs[i].addr = NULL;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

int shmctl(int id, int cmd, struct shmid_ds *buf)
{
	int i = seg_index(id);

	if (i < 0)
		return -1;
	switch (cmd) {
	case IPC_RMID:		/* destroyed on detach, as in the kernel */
		return 0;
	case IPC_STAT:
		if (buf) {
			memset(buf, 0, sizeof(*buf));
			buf->shm_segsz = segs[i].size;
			buf->shm_nattch = 1;
		}
		return 0;
	default:
		return 0;
	}
}
