# FUSE over io_uring: harness for the kernel series in series/.
# Run 'make help' for the targets.
SHELL := /bin/bash
FLAVOR ?= normal
CMD ?= uname -a

.PHONY: help deps tree export kernel kernel-debug initramfs run vm check check-normal check-debug lint distro clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps          install the Debian packages the project needs
deps:
	scripts/install-deps.sh

## tree          (re)create build/linux: linux-source-6.12 + series/ (git am)
tree: deps
	scripts/make-tree.sh

## export        write build/linux's commits above base back into series/
export:
	scripts/export-series.sh

## kernel        build build/obj/normal/vmlinux (kernel-debug: build/obj/debug)
kernel: deps
	scripts/make-tree.sh --if-stale
	scripts/build-kernel.sh normal

kernel-debug: deps
	scripts/make-tree.sh --if-stale
	scripts/build-kernel.sh debug

## initramfs     busybox, the fuse selftests (kselftest install), fio layer
initramfs:
	scripts/build-initramfs.sh

## run           main job: mount the passthrough daemon in the VM, run a workload;
##               then the same through libfuse's passthrough_ll -o io_uring
run: kernel initramfs libfuse
	scripts/vm-run.sh -f -k $(FLAVOR) -c vm/demo.sh \
		-c build/libfuse/build/example/passthrough_ll:/work/libfuse/passthrough_ll -- sh /work/demo.sh

## libfuse       build libfuse with libfuse/*.patch (Debian's fuse3 source) into build/libfuse
.PHONY: libfuse
libfuse:
	scripts/build-libfuse.sh

## vm CMD=...    run any command in the VM (FLAVOR=debug for the debug kernel)
vm:
	scripts/vm-run.sh -f -k $(FLAVOR) -- sh -c '$(CMD)'

## check         the tests: deps, tree, both kernels, the kselftests in the VM
##               on the normal and the debug kernel (lockdep, KASAN, kmemleak)
check:
	scripts/check.sh

## check-normal  the same on the normal kernel only (the quick loop)
check-normal:
	scripts/check.sh normal

## check-debug   the same on the debug kernel only
check-debug:
	scripts/check.sh debug

## lint          checkpatch, per-patch builds (option on/off, W=1), sparse,
##               kernel-doc, rst, shellcheck (also part of 'make check')
lint:
	scripts/lint.sh

## libfuse-check libfuse (Debian's fuse3 + libfuse/*.patch) built, its own test
##               suite in the VM over /dev/fuse and over the ring (also in check)
.PHONY: libfuse-check
libfuse-check: kernel initramfs libfuse
	scripts/libfuse-check.sh

## distro        the series on the newest Debian 6.12.y (trixie) with git am, and
##               fs/fuse modules under Debian's own kernel config (also in check)
distro: deps
	scripts/distro-check.sh

## clean         remove build outputs except the kernel tree
clean:
	rm -rf build/obj build/initramfs build/kselftest build/runs

## bench         benchmark native vs /dev/fuse vs the ring in the VM (BENCH_QUICK=1: smoke run)
.PHONY: bench
bench: kernel initramfs
	scripts/bench.sh

## bench-anchor  libfuse's passthrough_hp -o io_uring over this series' ring and over
##               upstream's (Debian's kernel), same VM and workloads, compared
.PHONY: bench-anchor
bench-anchor: kernel initramfs libfuse
	scripts/bench-anchor.sh

## stress        teardown faults under I/O, many iterations, in the VM on the debug kernel
##               (STRESS_FLAVOR=normal, STRESS_ITERS=100, STRESS_FIO_ITERS=5, STRESS_SEED):
##               cases x iterations, passed/failed, splats, leaks, hangs
STRESS_FLAVOR ?= debug
.PHONY: stress
stress: $(if $(filter normal,$(STRESS_FLAVOR)),kernel,kernel-debug) initramfs
	scripts/stress.sh $(STRESS_FLAVOR)
