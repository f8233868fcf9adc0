#!/usr/bin/env python3
"""Turn the benchmark's raw results (vm/bench-guest.sh) into a report.

usage: bench-report.py RAWDIR OUTDIR

RAWDIR holds what the guest wrote (fio JSON per workload and pinning mode,
meta.txt from fsmeta, daemon statistics, bench.conf). OUTDIR gets:
  results.json  settings and, per workload, metric, pinning mode and
                configuration, every repetition's value, median, min, max
  results.csv   the same, one row per workload/metric/pin/configuration
  table.txt     the table printed at the end (median and min-max spread),
                with the VM's process wake-up round trip (roundtrip.txt)
  chart.png     each configuration relative to the classic transport
  profile.csv, profile.txt   with PROFILE=1 (BENCH_PROFILE=1): requests per
                opcode and transport, requests per I/O, daemon CPU time and
                context switches, system CPU time per workload
  perf.txt      with PROFILE=1: the perf report of one more run per workload,
                pinning mode and FUSE configuration (CPU time per command,
                then per command, object and symbol; swapper = idle)
Exits non-zero when a result is missing or a ring configuration carried no
request over the ring.
"""
import csv
import glob
import json
import os
import re
import statistics
import sys


def read_conf(path):
    conf = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^(\w+)="?([^"]*)"?$', line.strip())
            if m:
                conf[m.group(1)] = m.group(2)
    return conf


def load_fio(path):
    with open(path) as f:
        text = f.read()
    return json.loads(text[text.index('{'):])


def unit_of(workload):
    if workload.startswith('meta-'):
        return 'ops/s'
    if workload.startswith('randread-4k'):
        return 'IOPS'
    return 'MB/s'


def collect(raw, conf):
    """values[(workload, metric, pin, cfg)] = [per-repetition values]"""
    values, ios, errors = {}, {}, []
    for wl in conf['WORKLOADS'].split():
        for pin in conf['PINS'].split():
            if wl.startswith('meta-'):
                continue
            path = os.path.join(raw, f'{wl}.{pin}.json')
            if not os.path.exists(path):
                errors.append(f'missing {os.path.basename(path)}')
                continue
            ddir = 'write' if wl.startswith('write') else 'read'
            for job in load_fio(path)['jobs']:
                cfg, rep = job['jobname'].rsplit('.', 1)
                if job.get('error'):
                    errors.append(f'{wl} {pin} {cfg}: fio error {job["error"]}')
                d = job[ddir]
                val = d['iops'] if unit_of(wl) == 'IOPS' else d['bw_bytes'] / 1e6
                values.setdefault((wl, '', pin, cfg), []).append(val)
                ios[(wl, pin, cfg)] = ios.get((wl, pin, cfg), 0) + \
                    job['read']['total_ios'] + job['write']['total_ios']
    meta = os.path.join(raw, 'meta.txt')
    if os.path.exists(meta):
        with open(meta) as f:
            for line in f:
                wl, pin, cfg, _rep, *kv = line.split()
                kv = dict(x.split('=') for x in kv)
                for metric in ('create', 'stat', 'unlink'):
                    values.setdefault((wl, metric, pin, cfg), []).append(float(kv[metric]))
                ios[(wl, pin, cfg)] = ios.get((wl, pin, cfg), 0) + 3 * int(kv['files'])
    for wl in conf['WORKLOADS'].split():
        for pin in conf['PINS'].split():
            for cfg in conf['CONFIGS'].split():
                if not any(k[0] == wl and k[2] == pin and k[3] == cfg for k in values):
                    errors.append(f'no result for {wl} {pin} {cfg}')
    return values, ios, errors


def fmt(v):
    if v >= 1e6:
        return f'{v / 1e6:.3g}M'
    if v >= 1e4:
        return f'{v / 1e3:.3g}k'
    if v >= 100:
        return f'{v:.0f}'
    return f'{v:.3g}'


def primary(conf):
    """The configurations the ratios compare: classic, ring, native"""
    configs = conf['CONFIGS'].split()
    classic = conf.get('CLASSIC') or next((c for c in configs if c.startswith('dev')), None)
    ring = conf.get('RING') or next((c for c in configs if c.startswith('ring')), None)
    native = 'native' if 'native' in configs else None
    return classic, ring, native


def summarize(values, conf):
    configs = conf['CONFIGS'].split()
    classic, ring, native = primary(conf)
    rows = []
    keys = sorted({k[:3] for k in values},
                  key=lambda k: (conf['WORKLOADS'].split().index(k[0]),
                                 ['', 'create', 'stat', 'unlink'].index(k[1]),
                                 conf['PINS'].split().index(k[2])))
    for wl, metric, pin in keys:
        row = {'workload': wl, 'metric': metric, 'pin': pin, 'unit': unit_of(wl),
               'configs': {}}
        for cfg in configs:
            vals = values.get((wl, metric, pin, cfg))
            if vals:
                row['configs'][cfg] = {'values': vals, 'median': statistics.median(vals),
                                       'min': min(vals), 'max': max(vals)}
        med = {c: r['median'] for c, r in row['configs'].items()}
        if ring in med and classic in med and med[classic]:
            row['ring_vs_classic'] = med[ring] / med[classic]
        if ring in med and native in med and med[native]:
            row['ring_vs_native'] = med[ring] / med[native]
        # FUSE's cost per operation over native (every unit is a rate):
        # the ring's over the classic transport's
        if all(med.get(c) for c in (ring, classic, native)):
            over_classic = 1 / med[classic] - 1 / med[native]
            if over_classic > 0:
                row['overhead_ratio'] = (1 / med[ring] - 1 / med[native]) / over_classic
        rows.append(row)
    return rows


def table(rows, conf):
    configs = conf['CONFIGS'].split()
    classic, ring, native = primary(conf)
    head = ['workload', 'pin', 'unit'] + configs
    if ring and classic:
        head.append(f'{ring}/{classic}')
    if ring and native:
        head.append(f'{ring}/native')
    if ring and classic and native:
        head.append('overhead')
    lines = [head]
    for r in rows:
        label = r['workload'] + (f' {r["metric"]}' if r['metric'] else '')
        cells = [label, r['pin'], r['unit']]
        for cfg in configs:
            c = r['configs'].get(cfg)
            cells.append(f'{fmt(c["median"])} ({fmt(c["min"])}-{fmt(c["max"])})' if c else '-')
        if ring and classic:
            cells.append(f'{r["ring_vs_classic"]:.2f}' if 'ring_vs_classic' in r else '-')
        if ring and native:
            cells.append(f'{r["ring_vs_native"]:.3f}' if 'ring_vs_native' in r else '-')
        if ring and classic and native:
            cells.append(f'{r["overhead_ratio"]:.2f}' if 'overhead_ratio' in r else '-')
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append('  '.join(c.ljust(w) if i < 3 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out) + '\n'


def write_csv(rows, path):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['workload', 'metric', 'pin', 'unit', 'config', 'n', 'median', 'min',
                    'max', 'values'])
        for r in rows:
            for cfg, c in r['configs'].items():
                w.writerow([r['workload'], r['metric'], r['pin'], r['unit'], cfg,
                            len(c['values']), f'{c["median"]:.6g}', f'{c["min"]:.6g}',
                            f'{c["max"]:.6g}', ';'.join(f'{v:.6g}' for v in c['values'])])


def chart(rows, conf, path, title):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('bench-report: WARNING: no matplotlib (Debian python3-matplotlib,'
              ' scripts/install-deps.sh): no chart', file=sys.stderr)
        return False
    configs = conf['CONFIGS'].split()
    classic, _, _ = primary(conf)
    others = [c for c in configs if c != classic]
    pins = conf['PINS'].split()
    labels = []
    for r in rows:
        label = r['workload'] + (f' {r["metric"]}' if r['metric'] else '')
        if label not in labels:
            labels.append(label)
    colors = {'native': '#7f7f7f'}
    palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd']
    for i, c in enumerate(c for c in others if c != 'native'):
        colors[c] = palette[i % len(palette)]
    fig, axes = plt.subplots(1, len(pins), figsize=(6.5 * len(pins), 0.45 * len(labels) * len(others) / 2 + 2),
                             sharey=True, squeeze=False)
    height = 0.8 / max(1, len(others))
    for ax, pin in zip(axes[0], pins):
        for j, cfg in enumerate(others):
            ys, xs, lo, hi = [], [], [], []
            for i, label in enumerate(labels):
                r = next((r for r in rows if r['pin'] == pin and
                          r['workload'] + (f' {r["metric"]}' if r['metric'] else '') == label), None)
                if not r or cfg not in r['configs'] or classic not in r['configs']:
                    continue
                base = r['configs'][classic]['median']
                c = r['configs'][cfg]
                ys.append(i + (j - (len(others) - 1) / 2) * height)
                xs.append(c['median'] / base)
                lo.append(c['median'] / base - c['min'] / base)
                hi.append(c['max'] / base - c['median'] / base)
            ax.barh(ys, xs, height=height, xerr=[lo, hi], color=colors[cfg], label=cfg,
                    error_kw={'elinewidth': 0.8, 'capsize': 2})
        ax.axvline(1, color='black', linewidth=0.8)
        ax.set_xscale('log')
        ax.set_title(pin)
        ax.set_xlabel(f'median relative to {classic} (log; bars: min-max)')
        ax.grid(axis='x', which='both', alpha=0.3)
    axes[0][0].set_yticks(range(len(labels)))
    axes[0][0].set_yticklabels(labels, fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][-1].legend(loc='lower right', fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def read_stats(path):
    stats = {}
    with open(path) as f:
        for line in f:
            k, *v = line.split()
            stats[k] = v if len(v) > 1 else (v[0] if v else '')
    return stats


def profile(raw, conf, ios, outdir):
    """Per-request counters of every daemon; returns the ring sanity errors."""
    errors, lines, csv_rows = [], [], []
    order = {w: i for i, w in enumerate(conf['WORKLOADS'].split() + conf['PINS'].split() +
                                         conf['CONFIGS'].split())}
    stats = [(os.path.basename(p)[:-len('.stats')].rsplit('.', 2), p)
             for p in glob.glob(os.path.join(raw, '*.stats'))]
    for (wl, pin, cfg), path in sorted(stats, key=lambda x: [order.get(k, 99) for k in x[0]]):
        s = read_stats(path)
        total = int(s.get('total', 0))
        ring = int(s.get('ring_requests', 0))
        dev = int(s.get('dev_requests', 0))
        ticks = [int(x) for x in s.get('cpu_ticks', ['0', '0'])]
        cpu = sum(ticks) / int(s.get('clk_tck', 100))
        ctx = int(s.get('voluntary_ctxt_switches', 0)) + int(s.get('nonvoluntary_ctxt_switches', 0))
        calls = int(s.get('transport_calls', 0))
        nios = ios.get((wl, pin, cfg), 0)
        if cfg.startswith('ring') and ring == 0:
            errors.append(f'{wl} {pin} {cfg}: the ring carried no request ({dev} over /dev/fuse)')
        skip = {'transport', 'total', 'interrupts', 'dev_requests', 'dev_ring_eligible',
                'ring_requests', 'ring_async_read_queues', 'ring_async_read_qmask',
                'cpu_ticks', 'clk_tck', 'threads', 'voluntary_ctxt_switches',
                'nonvoluntary_ctxt_switches', 'transport_calls', 'intr_matched', 'intr_eagain'}
        ops = {k: int(v) for k, v in s.items() if k not in skip}
        for k, v in s.items():
            csv_rows.append([wl, pin, cfg, k, ' '.join(v) if isinstance(v, list) else v])
        csv_rows.append([wl, pin, cfg, 'app_ios', nios])
        top = ', '.join(f'{k} {v}' for k, v in sorted(ops.items(), key=lambda x: -x[1])[:5])
        lines.append(f'{wl:<24} {pin:<9} {cfg:<6} {s.get("transport", "?"):<6} '
                     f'{total:>8} {100 * ring / total if total else 0:>5.1f}% '
                     f'{total / nios if nios else 0:>7.2f} {cpu:>7.2f} '
                     f'{1e6 * cpu / total if total else 0:>8.1f} '
                     f'{ctx / total if total else 0:>6.2f} '
                     f'{(f"{calls / total:.2f}" if calls else "-") if total else "-":>7}  {top}')
    head = (f'{"workload":<24} {"pin":<9} {"config":<6} {"trans.":<6} {"requests":>8} '
            f'{"ring":>6} {"req/io":>7} {"cpu_s":>7} {"us/req":>8} {"cs/req":>6} {"sys/req":>7}  top opcodes')
    text = ['Daemon requests per workload (all repetitions): ring = share carried by the ring;',
            'req/io = FUSE requests per application I/O (fio I/Os, or fsmeta operations);',
            'cpu_s = daemon CPU seconds (user+sys); us/req = daemon CPU per request;',
            'cs/req = daemon context switches per request; sys/req = the daemon\'s transport',
            'system calls per request (read() and writev() on /dev/fuse, io_uring_enter(); the',
            'selftests\' daemon counts them, libfuse\'s does not: "-").', '', head,
            '-' * len(head)] + lines
    sys_lines = []
    cpus = [(os.path.basename(p)[:-5].rsplit('.', 1), p) for p in glob.glob(os.path.join(raw, '*.cpu0'))]
    for _, path in sorted(cpus, key=lambda x: [order.get(k, 99) for k in x[0]]):
        tag = os.path.basename(path)[:-5]
        a = read_stats(path)
        b = read_stats(path[:-1] + '1')
        d = {k: int(b[k]) - int(a[k]) for k in a if k in b}
        busy = sum(d.get(k, 0) for k in ('user', 'system', 'irq', 'softirq'))
        alltime = busy + d.get('idle', 0)
        if alltime:
            sys_lines.append(f'{tag:<34} user {100 * d["user"] / alltime:5.1f}%  '
                             f'sys {100 * d["system"] / alltime:5.1f}%  '
                             f'softirq {100 * d["softirq"] / alltime:5.1f}%  '
                             f'idle {100 * d["idle"] / alltime:5.1f}%  ctxt {d.get("ctxt", 0)}')
    if sys_lines:
        text += ['', 'System CPU time per workload and pinning mode (all configurations, '
                 'from /proc/stat):'] + sys_lines
    counts = [(os.path.basename(p)[len('perf.'):-len('.counts')].rsplit('.', 2), p)
              for p in glob.glob(os.path.join(raw, 'perf.*.counts'))]
    cnt_lines = []
    for (wl, pin, cfg), path in sorted(counts, key=lambda x: [order.get(k, 99) for k in x[0]]):
        c = {k: int(v) for k, v in read_stats(path).items()}
        n = c.get('ios', 0)
        if not n:
            errors.append(f'{wl} {pin} {cfg}: the profiled run reported no I/Os')
            continue
        cnt_lines.append(f'{wl:<24} {pin:<9} {cfg:<6} {n:>8} {c.get("ctxt", 0) / n:>7.2f} '
                         f'{c.get("res", 0) / n:>7.2f} {c.get("cal", 0) / n:>7.2f}')
    if cnt_lines:
        head = (f'{"workload":<24} {"pin":<9} {"config":<6} {"ios":>8} {"cs/io":>7} '
                f'{"RES/io":>7} {"CAL/io":>7}')
        text += ['', 'Per application I/O in the profiled run (whole system, from /proc/stat and '
                 '/proc/interrupts):',
                 'cs = context switches; RES = rescheduling IPIs (a wake-up of a task on another',
                 'CPU); CAL = function-call IPIs', '', head, '-' * len(head)] + cnt_lines
    if conf.get('PROFILE') != '1':
        return errors
    with open(os.path.join(outdir, 'profile.txt'), 'w') as f:
        f.write('\n'.join(text) + '\n')
    with open(os.path.join(outdir, 'profile.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['workload', 'pin', 'config', 'counter', 'value'])
        w.writerows(csv_rows)
    perf = [(os.path.basename(p)[len('perf.'):-len('.txt')].rsplit('.', 2), p)
            for p in glob.glob(os.path.join(raw, 'perf.*.txt'))]
    if not perf:
        errors.append('profile mode: no perf report from the VM (perf.*.txt)')
    with open(os.path.join(outdir, 'perf.txt'), 'w') as out:
        out.write('CPU profiles (perf record -a -F 499 in the VM, one more run per configuration);\n'
                  'percentages of all CPUs\' time, idle included (swapper)\n\n')
        for _, path in sorted(perf, key=lambda x: [order.get(k, 99) for k in x[0]]):
            with open(path) as f:
                out.write(f.read() + '\n')
    return errors


def roundtrip(raw):
    """Median microseconds per round trip, per CPU pair, from roundtrip.txt"""
    path = os.path.join(raw, 'roundtrip.txt')
    times = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                m = re.match(r'^cpus=(\d+),(\d+) round_trips=\d+ us=([\d.]+)$', line.strip())
                if m:
                    times.setdefault((int(m.group(1)), int(m.group(2))), []).append(float(m.group(3)))
    return {pair: statistics.median(v) for pair, v in times.items()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    raw, outdir = sys.argv[1:]
    conf = read_conf(os.path.join(raw, 'bench.conf'))
    values, ios, errors = collect(raw, conf)
    rows = summarize(values, conf)
    errors += profile(raw, conf, ios, outdir)
    info = {}
    if os.path.exists(os.path.join(raw, 'info')):
        with open(os.path.join(raw, 'info')) as f:
            info = dict(line.rstrip('\n').split(' ', 1) for line in f if ' ' in line)
    configs = conf['CONFIGS'].split()
    classic, ring, native = primary(conf)
    mode = ('TCG with instruction counting: guest time = instructions of all vCPUs, '
            '1 s = 10^9 instructions' if conf.get('ICOUNT') == '1' else 'TCG')
    title = (f'FUSE transports in the VM ({info.get("kernel", "?")}, {info.get("cpus", "?")} vCPUs '
             f'{mode}): {conf["REPS"]} reps x {conf["RUNTIME"]}s, pinned = CPU {conf["PIN_CPU"]}')
    text = table(rows, conf)
    rt = roundtrip(raw)
    roundtrip_note = ''
    if rt:
        roundtrip_note = ('process wake-up round trip (bench/roundtrip.c, median): '
                          + ', '.join(f'{"same CPU" if a == b else "CPUs"} {a},{b} {us:.1f} us'
                                      for (a, b), us in sorted(rt.items(), key=lambda x: x[0][0] != x[0][1]))
                          + '\n')
    notes = (f'{title}\nmedian (min-max) of {conf["REPS"]} repetitions; MB/s = 10^6 bytes/s; '
             f'{ring}/{classic} and {ring}/native: ratios of the medians; overhead: the time per\n'
             f'operation that {ring} adds to native over the time {classic} adds (below 1: the ring costs less)\n'
             'native = tmpfs backing directory; devN = passthrough over /dev/fuse, N threads; '
             'ringN = over the io_uring ring, N queues\n'
             + ('hpN = libfuse passthrough_hp (libfuse/*.patch) over /dev/fuse, N threads; hpring ='
                ' the same with -o io_uring (this series\' ring, or upstream\'s on its kernel)\n'
                if any(c.startswith('hp') for c in configs) else '')
             + roundtrip_note
             + '\n')
    with open(os.path.join(outdir, 'table.txt'), 'w') as f:
        f.write(notes + text)
    write_csv(rows, os.path.join(outdir, 'results.csv'))
    with open(os.path.join(outdir, 'results.json'), 'w') as f:
        json.dump({'settings': conf, 'vm': info, 'classic': classic, 'ring': ring,
                   'roundtrip_us': {f'{a},{b}': us for (a, b), us in rt.items()},
                   'results': rows, 'errors': errors}, f, indent=1)
    chart(rows, conf, os.path.join(outdir, 'chart.png'), title)
    sys.stdout.write(notes + text)
    for e in errors:
        print(f'bench-report: ERROR: {e}', file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
