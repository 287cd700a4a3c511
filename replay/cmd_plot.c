/*
 * cmd_plot.c: `kevrr plot`: draws a trace as an SVG timeline a person can
 * read at a glance: one lane per interface (named from the decoded
 * records' if_name and if_unit), a mark per event coloured by its kind,
 * failed recv()s as red lines across the lanes, damaged framing as a black
 * cross; with --profile the trace is also replayed through the core, and
 * every batch with a defect (faithful profiles) or a diagnostic (hardened)
 * gets a highlighted marker whose tooltip names the finding.
 *
 * The trace is read twice, streaming: a first pass finds the time span and
 * the interfaces, a second draws. Memory is bounded whatever the trace's
 * length: the lanes (PLOT_MAX_LANES), one decoded record, the findings of
 * one marker (PLOT_MAX_GROUP_FINDINGS), the world. At most PLOT_MAX_MARKS
 * marks are drawn; marks of one kind on one lane closer than PLOT_MERGE_PX
 * pixels are merged, and what is merged or left out is counted in the
 * footer. The output is deterministic: coordinates are computed in
 * integers (tenths of a pixel), and nothing depends on the clock, the
 * locale or pointers.
 */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kevrr/drift.h"

static const char plot_usage[] =
    "usage: kevrr plot TRACE -o FILE.svg [--profile P] [--from X] [--to X] [--width N]\n"
    "\n"
    "Draw TRACE as an SVG timeline: time from the first record across, one lane\n"
    "per interface, a mark per event coloured by kind (legend at the bottom;\n"
    "hover a mark for its record; marks at one instant are stacked), failed\n"
    "recv()s as red lines, damaged framing as a black cross. With --profile,\n"
    "replay the trace through the core too (its snapshot loaded first): every\n"
    "batch with a defect (@FAITHFUL@) or a diagnostic (hardened) is marked, the\n"
    "tooltip naming the finding; a key that starts drifting from the kernel gets\n"
    "a mark on its interface's lane; a band runs from where monitoring stopped.\n"
    "\n"
    "options:\n"
    "  -o FILE.svg      the SVG to write ('-': standard output); never TRACE\n"
    "  --profile P      replay with @PROFILES@\n"
    "  --from X         draw from batch X (an index, a Unix time with a '.', or\n"
    "                   +DURATION); the batches before it are still replayed\n"
    "  --to X           draw up to batch X (not included)\n"
    "  --width N        width in pixels, 600..20000 (default 1200)\n"
    "  -h, --help       this help\n"
    "\n"
    "TRACE is read twice: it must be a regular file (not '-', not a FIFO).\n"
    "exit status: 0 done, 2 usage, 3 unreadable or damaged trace (what came\n"
    "before the damage is drawn), 5 output error.\n";

/* Caps: interface lanes (more share the lane "(other interfaces)"), marks
 * drawn, findings listed in one marker's tooltip (more are counted), label
 * characters. */
#define PLOT_MAX_LANES          64u
#define PLOT_MAX_MARKS          100000u
#define PLOT_MAX_GROUP_FINDINGS 16u
#define PLOT_LABEL_MAX          40u

/* Geometry, in pixels. */
#define PLOT_WIDTH_DEFAULT 1200u
#define PLOT_WIDTH_MIN     600u
#define PLOT_WIDTH_MAX     20000u
#define PLOT_TOP           58u /* first row */
#define PLOT_FIND_H        34u /* findings row */
#define PLOT_LANE_H        24u
#define PLOT_RIGHT         24u /* right margin */
#define PLOT_PAD           10u /* between the labels and time zero */
#define PLOT_LEGEND_CELL   170u
#define PLOT_LINE_H        17u
#define PLOT_GROUP_PX      10u      /* findings closer than this share a marker */
#define PLOT_MERGE_PX      3u       /* marks of one glyph closer than this merge */
#define PLOT_STACK_DY      7u       /* marks of an instant: rows this far apart */
#define PLOT_STACK_DX      7u       /* ... and past three, columns this far apart */
#define PLOT_MIN_SPAN_NS   1000000u /* the shortest time axis: 1 ms */

/* Event kinds: the legend, in order. */
enum {
    K_ATTACH,
    K_LINK,
    K_IPV4,
    K_IPV6,
    K_ND6,
    K_QUALITY,
    K_ISSUES,
    K_ARP,
    K_OTHER,
    K__COUNT
};
static const struct {
    const char *name, *color;
} kinds[K__COUNT] = {
    [K_ATTACH] = {"attach / detach", "#0072B2"},
    [K_LINK] = {"link on / off", "#009E73"},
    [K_IPV4] = {"IPv4 address", "#E69F00"},
    [K_IPV6] = {"IPv6 address", "#CC79A7"},
    [K_ND6] = {"ND6", "#56B4E9"},
    [K_QUALITY] = {"link quality", "#8C8C00"},
    [K_ISSUES] = {"link issues", "#7B3294"},
    [K_ARP] = {"ARP", "#8C510A"},
    [K_OTHER] = {"other", "#7F7F7F"},
};

/* Which kind an Apple network event is, and whether it takes something
 * away (drawn hollow). Everything else is K_OTHER, filled. */
static const struct {
    uint32_t subclass, code;
    uint8_t kind;
    bool hollow;
} kind_table[] = {
    {KEV_DL_SUBCLASS, KEV_DL_IF_ATTACHED, K_ATTACH, false},
    {KEV_DL_SUBCLASS, KEV_DL_IF_DETACHING, K_ATTACH, true},
    {KEV_DL_SUBCLASS, KEV_DL_IF_DETACHED, K_ATTACH, true},
    {KEV_DL_SUBCLASS, KEV_DL_LINK_ON, K_LINK, false},
    {KEV_DL_SUBCLASS, KEV_DL_LINK_OFF, K_LINK, true},
    {KEV_DL_SUBCLASS, KEV_DL_LINK_QUALITY_METRIC_CHANGED, K_QUALITY, false},
    {KEV_DL_SUBCLASS, KEV_DL_ISSUES, K_ISSUES, false},
    {KEV_INET_SUBCLASS, KEV_INET_NEW_ADDR, K_IPV4, false},
    {KEV_INET_SUBCLASS, KEV_INET_CHANGED_ADDR, K_IPV4, false},
    {KEV_INET_SUBCLASS, KEV_INET_ADDR_DELETED, K_IPV4, true},
    {KEV_INET_SUBCLASS, KEV_INET_SIFDSTADDR, K_IPV4, false},
    {KEV_INET_SUBCLASS, KEV_INET_SIFBRDADDR, K_IPV4, false},
    {KEV_INET_SUBCLASS, KEV_INET_SIFNETMASK, K_IPV4, false},
    {KEV_INET_SUBCLASS, KEV_INET_ARPCOLLISION, K_ARP, false},
    {KEV_INET_SUBCLASS, KEV_INET_ARPRTRFAILURE, K_ARP, true},
    {KEV_INET_SUBCLASS, KEV_INET_ARPRTRALIVE, K_ARP, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_USER_ADDR, K_IPV6, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_CHANGED_ADDR, K_IPV6, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_ADDR_DELETED, K_IPV6, true},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_LL_ADDR, K_IPV6, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_NEW_RTADV_ADDR, K_IPV6, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_DEFROUTER, K_IPV6, false},
    {KEV_INET6_SUBCLASS, KEV_INET6_REQUEST_NAT64_PREFIX, K_IPV6, false},
    {KEV_ND6_SUBCLASS, KEV_ND6_RA, K_ND6, false},
    {KEV_ND6_SUBCLASS, KEV_ND6_NDFAILURE, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_NDALIVE, K_ND6, false},
    {KEV_ND6_SUBCLASS, KEV_ND6_DAD_FAILURE, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_DAD_SUCCESS, K_ND6, false},
    {KEV_ND6_SUBCLASS, KEV_ND6_ADDR_DETACHED, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_ADDR_DEPRECATED, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_ADDR_EXPIRED, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_RTR_EXPIRED, K_ND6, true},
    {KEV_ND6_SUBCLASS, KEV_ND6_PFX_EXPIRED, K_ND6, true},
};

/* A lane: an interface (if_name bytes up to the first NUL, and the unit),
 * or one of the two shared lanes. */
typedef struct plot_lane {
    uint8_t name[KEV_IFNAMSIZ];
    uint8_t name_len;
    uint32_t unit;
    char label[PLOT_LABEL_MAX + 8]; /* printable ASCII, "\xNN" for other bytes */
    /* The last pixel column drawn, per glyph (kind, filled or hollow),
     * then damage and failed recv()s; -1 before any. */
    int last_x[2 * K__COUNT + 2];
    /* The instant marks are being stacked at (a pixel column, -1 before
     * any) and how many marks it holds. */
    int stack_x;
    unsigned stack_n;
} plot_lane;

/* Lane slots after the interfaces. */
enum { LANE_OTHER_IFS = PLOT_MAX_LANES, LANE_NO_IF, LANE__SLOTS };

typedef struct plot_finding {
    uint64_t record;
    int defect;
    bool diagnostic, stops;
    uint32_t event, offset;
    char code[32];
    char message[200];
} plot_finding;

typedef struct plot {
    const char *trace, *out;
    const char *from, *to; /* --from, --to as given */
    kev_cli_range range;
    bool replay;
    kev_profile profile;
    unsigned width;
    FILE *f;
    /* Pass 1. */
    uint64_t records, batches, errors, events, damaged;
    uint64_t t_min, t_max;
    uint64_t first_t;            /* the trace's first record's time (+DURATION) */
    uint64_t win_a, win_b;       /* the records drawn: [win_a, win_b) */
    bool windowed;               /* --from or --to */
    unsigned n_ifs; /* interface lanes in use */
    bool other_used, none_used, show_none;
    plot_lane lanes[LANE__SLOTS];
    unsigned row_of[LANE__SLOTS]; /* display row of each slot in use */
    unsigned n_rows;
    /* Layout. */
    unsigned label_w, x0, plot_w, lanes_top, lanes_bottom, axis_y, legend_top, footer_top;
    unsigned height;
    uint64_t tick_ns, axis_ns;
    /* Pass 2. */
    kev_decoded dec;
    kev_world *world;
    /* The findings marker being gathered: the findings of the batches
     * within PLOT_GROUP_PX pixels of its first, drawn once a batch falls
     * further away. */
    plot_finding group[PLOT_MAX_GROUP_FINDINGS];
    unsigned n_group;
    uint64_t group_over, group_x10, group_t;
    bool group_open;
    uint64_t cur_record, cur_x10, cur_t, cur_findings;
    uint64_t defects_by_id[KEV_DEFECT_MAX + 1], findings, finding_batches;
    uint64_t drawn, merged, dropped, first_dropped_ns;
    int last_label_x;
    kev_trace_damage end; /* how pass 2's reading ended */
    bool damaged_trace;
    uint64_t last_t; /* the last record read in pass 2 */
    /* Monitoring stopped (v888, v963 after a failed recv(): D12). */
    bool stopped_band;
    uint64_t stopped_record, stopped_t;
    /* Drift: keys that started drifting, drawn on their lanes. */
    uint64_t drift_marks, drift_list, drift_unlaned;
    bool drawing; /* pass 2 is in the window */
} plot;

/* ------------------------------------------------------------- text out */

/* Writes s[0..n) as XML character data: printable ASCII, entities for the
 * five XML specials, "\xNN" for every other byte (so any name is valid
 * XML). */
static void put_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&#39;", f);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static void put_str(FILE *f, const char *s)
{
    put_text(f, s, strlen(s));
}

/* A coordinate in tenths of a pixel, as "123.4" (or "123"). */
static void put_x10(FILE *f, uint64_t x10)
{
    if (x10 % 10)
        fprintf(f, "%" PRIu64 ".%u", x10 / 10, (unsigned)(x10 % 10));
    else
        fprintf(f, "%" PRIu64, x10 / 10);
}

/* A duration in ns as seconds: "12.5", "0.000125"; `decimals` at least
 * (trailing zeros past them are dropped). */
static void fmt_secs(char *out, size_t cap, uint64_t ns, unsigned decimals)
{
    char frac[10];
    snprintf(frac, sizeof frac, "%09" PRIu64, ns % 1000000000u);
    unsigned keep = 9;
    while (keep > decimals && frac[keep - 1] == '0')
        keep--;
    if (keep == 0)
        snprintf(out, cap, "%" PRIu64, ns / 1000000000u);
    else
        snprintf(out, cap, "%" PRIu64 ".%.*s", ns / 1000000000u, (int)keep, frac);
}

/* ---------------------------------------------------------------- lanes */

/* The interface of a decoded record: its if_name and if_unit fields, when
 * both are there. */
static bool record_iface(const kev_decoded *r, const kev_dfield **name, uint32_t *unit)
{
    const kev_dfield *unit_f = NULL;
    *name = NULL;
    for (size_t i = 0; i < r->n_fields; i++) {
        const kev_dfield *fl = &r->fields[i];
        if (!fl->missing && strcmp(fl->name, "if_name") == 0)
            *name = fl;
        else if (!fl->missing && strcmp(fl->name, "if_unit") == 0)
            unit_f = fl;
    }
    if (*name == NULL || unit_f == NULL)
        return false;
    *unit = (uint32_t)unit_f->u;
    return true;
}

/* Sets a lane's label: the name's bytes (printable ASCII as they are, the
 * rest as \xNN), then the unit, after a ':' when the name ends in a digit
 * (as the scenario language writes it): ("utun1", 23) is "utun1:23", which
 * configd would confuse with ("utun", 123) (defect D11). */
static void lane_label(plot_lane *l)
{
    size_t n = 0, i;
    for (i = 0; i < l->name_len && n + 4 <= PLOT_LABEL_MAX - 10; i++) {
        uint8_t c = l->name[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            l->label[n++] = (char)c;
        else
            n += (size_t)snprintf(l->label + n, 5, "\\x%02x", c);
    }
    if (i < l->name_len) /* a long escaped name: the rest left out */
        n += (size_t)snprintf(l->label + n, 4, "...");
    bool digit = l->name_len > 0 && l->name[l->name_len - 1] >= '0' &&
                 l->name[l->name_len - 1] <= '9';
    snprintf(l->label + n, sizeof l->label - n, "%s%" PRIu32, digit ? ":" : "", l->unit);
}

/* The lane of interface (name[0..len), unit): found, added (when `add`),
 * or the shared one past the cap. */
static unsigned lane_find(plot *p, const uint8_t *name, size_t len, uint32_t unit, bool add)
{
    len = len < KEV_IFNAMSIZ ? len : KEV_IFNAMSIZ;
    for (unsigned i = 0; i < p->n_ifs; i++) {
        const plot_lane *l = &p->lanes[i];
        if (l->unit == unit && l->name_len == len && memcmp(l->name, name, len) == 0)
            return i;
    }
    if (!add || p->n_ifs == PLOT_MAX_LANES)
        return LANE_OTHER_IFS;
    plot_lane *l = &p->lanes[p->n_ifs];
    memcpy(l->name, name, len);
    l->name_len = (uint8_t)len;
    l->unit = unit;
    lane_label(l);
    return p->n_ifs++;
}

/* The lane slot of a record: its interface's (added on first sight), the
 * shared one past the cap, or the no-interface lane. */
static unsigned lane_of(plot *p, const kev_decoded *r, bool add)
{
    const kev_dfield *name;
    uint32_t unit;
    if (r->kind != KEV_DECODED_RECORD || !record_iface(r, &name, &unit))
        return LANE_NO_IF;
    const uint8_t *nul = memchr(name->bytes, 0, name->len);
    size_t len = nul ? (size_t)(nul - name->bytes) : name->len;
    return lane_find(p, name->bytes, len, unit, add);
}

/* Splits a kernel interface name ("utun3") into its name and unit (the
 * trailing digits, as the kernel forms names); false without a unit. */
static bool split_ifname(const char *k, size_t *len, uint32_t *unit)
{
    size_t n = strlen(k), d = n;
    while (d > 0 && k[d - 1] >= '0' && k[d - 1] <= '9')
        d--;
    if (d == n || d == 0 || n - d > 9)
        return false;
    *len = d;
    *unit = (uint32_t)strtoul(k + d, NULL, 10);
    return true;
}

/* The lane of a kernel interface name (a drift's), or LANE_NO_IF. The
 * lanes' names format as the kernel's (name then unit). */
static unsigned lane_of_kernel_name(plot *p, const char *k)
{
    char buf[KEV_IFNAMSIZ + 16];
    for (unsigned i = 0; i < p->n_ifs; i++) {
        const plot_lane *l = &p->lanes[i];
        snprintf(buf, sizeof buf, "%.*s%" PRIu32, (int)l->name_len, (const char *)l->name,
                 l->unit);
        if (strcmp(buf, k) == 0)
            return i;
    }
    return LANE_NO_IF;
}

/* Replaying, the snapshot's interfaces get lanes first (a drift may be on
 * one that no event names). */
static void snapshot_lanes(plot *p, const kev_trace_meta *m)
{
    kev_kernel *k = m->snapshot ? kev_kernel_new() : NULL;
    if (k == NULL)
        return;
    if (kev_kernel_load_text(k, m->snapshot, m->snapshot_len, NULL) == 0) {
        for (size_t i = 0; i < kev_kernel_count(k); i++) {
            const char *name = kev_kernel_at(k, i)->name;
            size_t len;
            uint32_t unit;
            if (split_ifname(name, &len, &unit))
                (void)lane_find(p, (const uint8_t *)name, len, unit, true);
        }
    }
    kev_kernel_free(k);
}

/* ------------------------------------------------------------- pass one */

static void scan_batch(plot *p, const kev_trace_rec *rec)
{
    kev_decoder d;
    int rc;
    kev_decode_init(&d, rec->data, rec->caplen, 0);
    while ((rc = kev_decode_next(&d, &p->dec)) != 0) {
        unsigned lane = lane_of(p, &p->dec, true);
        p->other_used |= lane == LANE_OTHER_IFS;
        p->none_used |= lane == LANE_NO_IF;
        if (rc < 0)
            p->damaged++;
        else
            p->events++;
    }
}

/* Is the record in the window [--from, --to)? *from_seen keeps whether
 * --from was reached; *past is set at --to. */
static bool in_window(const plot *p, const kev_trace_rec *rec, bool *from_seen, bool *past)
{
    *past = kev_cli_bound_reached(&p->range.to, p->first_t, rec->index, rec->t_ns);
    if (!*from_seen)
        *from_seen = p->range.from.kind == KEV_BOUND_NONE ||
                     kev_cli_bound_reached(&p->range.from, p->first_t, rec->index, rec->t_ns);
    return *from_seen && !*past;
}

/* Reads the trace once: the time span, the counts, the lanes of the window. */
static int scan(plot *p)
{
    kev_trace_reader *r = kev_cli_trace_open("plot", p->trace, 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    if (p->replay)
        snapshot_lanes(p, kev_trace_meta_get(r));
    kev_trace_rec rec;
    bool first = true, from_seen = false, past = false;
    uint64_t n = 0;
    p->t_min = UINT64_MAX;
    p->win_a = p->win_b = UINT64_MAX;
    while (kev_trace_next(r, &rec) == 1) {
        n = rec.index + 1;
        if (first)
            p->first_t = rec.t_ns;
        first = false;
        bool in = in_window(p, &rec, &from_seen, &past);
        if (from_seen && p->win_a == UINT64_MAX)
            p->win_a = rec.index;
        if (past) {
            p->win_b = rec.index;
            break;
        }
        if (!in)
            continue;
        p->records++;
        p->t_min = rec.t_ns < p->t_min ? rec.t_ns : p->t_min;
        p->t_max = rec.t_ns > p->t_max ? rec.t_ns : p->t_max;
        if (rec.kind == KEV_TR_ERROR)
            p->errors++;
        else
            p->batches++;
        if (rec.kind == KEV_TR_BATCH)
            scan_batch(p, &rec);
    }
    p->win_a = p->win_a == UINT64_MAX ? n : p->win_a;
    p->win_b = p->win_b == UINT64_MAX ? n : p->win_b;
    if (p->records == 0)
        p->t_min = p->t_max = 0;
    kev_trace_close(r); /* how it ended is said by the second pass */
    if (kev_cli_range_check_resolved("plot", p->trace, p->from, p->to, p->win_a, p->win_b) != 0)
        return KEV_EXIT_USAGE;
    return KEV_EXIT_OK;
}

/* ---------------------------------------------------------------- layout */

/* Display rows: the interfaces in order of first appearance, then the
 * shared lanes when used (the no-interface lane also when there is no
 * other, so that there is a row). */
static void layout_rows(plot *p)
{
    unsigned longest = p->replay ? 22 : 14; /* "diagnostics (hardened)", "(no interface)" */
    for (unsigned i = 0; i < p->n_ifs; i++) {
        size_t n = strlen(p->lanes[i].label);
        longest = n > longest ? (unsigned)n : longest;
        p->row_of[i] = p->n_rows++;
    }
    if (p->other_used) {
        p->row_of[LANE_OTHER_IFS] = p->n_rows++;
        longest = longest < 18 ? 18 : longest;
    }
    p->show_none = p->none_used || p->n_rows == 0;
    if (p->show_none)
        p->row_of[LANE_NO_IF] = p->n_rows++;
    for (unsigned i = 0; i < LANE__SLOTS; i++) {
        for (size_t g = 0; g < sizeof p->lanes[i].last_x / sizeof(int); g++)
            p->lanes[i].last_x[g] = -1;
        p->lanes[i].stack_x = -1;
        p->lanes[i].stack_n = 0;
    }
    p->label_w = 28 + longest * 15 / 2; /* DejaVu Sans 12 px: at most 7.5 px a character */
}

/* The tick step: the smallest 1, 2 or 5 times a power of ten (ns) that
 * gives at most one tick per 90 pixels; the axis ends on a tick. */
static void layout_ticks(plot *p)
{
    uint64_t span = p->t_max - p->t_min;
    span = span < PLOT_MIN_SPAN_NS ? PLOT_MIN_SPAN_NS : span; /* records all at one time */
    uint64_t max_ticks = p->plot_w / 90 ? p->plot_w / 90 : 1;
    static const unsigned mult[3] = {1, 2, 5};
    uint64_t pow = 1;
    for (;;) {
        for (unsigned m = 0; m < 3; m++) {
            uint64_t step = pow * mult[m];
            if (span / step < max_ticks) {
                uint64_t n = span / step + 1; /* the axis ends past the last record */
                p->tick_ns = step;
                p->axis_ns = n > UINT64_MAX / step ? UINT64_MAX : n * step;
                return;
            }
        }
        pow *= 10;
    }
}

static void layout(plot *p)
{
    layout_rows(p);
    p->x0 = p->label_w + PLOT_PAD;
    p->plot_w = p->width - p->x0 - PLOT_RIGHT;
    layout_ticks(p);
    p->lanes_top = PLOT_TOP + (p->replay ? PLOT_FIND_H : 0);
    p->lanes_bottom = p->lanes_top + p->n_rows * PLOT_LANE_H;
    p->axis_y = p->lanes_bottom;
    p->legend_top = p->axis_y + 60;
    unsigned items = K__COUNT + 3 + (p->replay ? 3 : 0);
    unsigned per_row = (p->width - 40) / PLOT_LEGEND_CELL;
    unsigned legend_rows = (items + per_row - 1) / per_row;
    p->footer_top = p->legend_top + legend_rows * 22 + 12;
    p->height = p->footer_top + 4 * PLOT_LINE_H + 12;
}

/* The x of `dt` ns after the first record, in tenths of a pixel: exact
 * integer arithmetic (both sides shifted until the product fits 64 bits);
 * past the axis's end is drawn at its end. */
static uint64_t x10_at(const plot *p, uint64_t dt)
{
    uint64_t span = p->axis_ns;
    dt = dt < span ? dt : span;
    while (span >= ((uint64_t)1 << 32)) {
        dt >>= 1;
        span >>= 1;
    }
    return 10u * p->x0 + dt * (10u * p->plot_w) / span;
}

static uint64_t x10_of(const plot *p, uint64_t t)
{
    return x10_at(p, t > p->t_min ? t - p->t_min : 0);
}

static unsigned lane_y(const plot *p, unsigned slot)
{
    return p->lanes_top + p->row_of[slot] * PLOT_LANE_H + PLOT_LANE_H / 2;
}

/* ------------------------------------------------------------ the frame */

static void svg_begin(plot *p)
{
    FILE *f = p->f;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
            "viewBox=\"0 0 %u %u\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
            "font-size=\"12\">\n<style>\n",
            p->width, p->height, p->width, p->height);
    for (unsigned k = 0; k < K__COUNT; k++)
        fprintf(f, ".k%u{fill:%s}.h%u{fill:#fff;stroke:%s;stroke-width:1.6}\n", k,
                kinds[k].color, k, kinds[k].color);
    fputs(".err{stroke:#E00000;stroke-width:1.5;stroke-opacity:0.8}\n"
          ".dmg{stroke:#000;stroke-width:2;fill:none}\n"
          ".band{fill:#FFB000;fill-opacity:0.3}\n"
          ".def{fill:#D00000;stroke:#500000}.diag{fill:#FF8C00;stroke:#7A4000}\n"
          ".drift{fill:#FFE000;stroke:#B00000;stroke-width:1.4}\n"
          ".stop{fill:#B00000;fill-opacity:0.07;stroke:#B00000;stroke-dasharray:4 3}\n"
          ".flab{font-size:10px;font-weight:bold;fill:#500000}\n"
          ".row0{fill:#F2F4F7}.row1{fill:#FFFFFF}.frow{fill:#FFF4E0}\n"
          ".grid{stroke:#D0D4DA;stroke-width:1}.axis{stroke:#333;stroke-width:1}\n"
          ".lab{fill:#222}.dim{fill:#555;font-size:11px}.warn{fill:#B00000}\n"
          "</style>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
          f);
}

/* The title (the trace and its source) and the line under it (counts). */
static void svg_title(plot *p, const kev_trace_meta *meta)
{
    char span[32];
    uint64_t ns = p->t_max - p->t_min;
    fmt_secs(span, sizeof span, ns >= 1000000000u ? ns - ns % 1000000u : ns, 1);
    fputs("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\" class=\"lab\">",
          p->f);
    put_str(p->f, "kevrr plot: ");
    put_str(p->f, p->trace);
    if (meta->source != NULL) {
        fputs("<tspan dx=\"8\" font-weight=\"normal\">(", p->f);
        put_str(p->f, meta->source);
        fputs(")</tspan>", p->f);
    }
    fputs("</text>\n<text x=\"12\" y=\"42\" class=\"dim\">", p->f);
    fprintf(p->f,
            "%" PRIu64 " records over %s s: %" PRIu64 " batches, %" PRIu64
            " events, %" PRIu64 " failed recv()",
            p->records, span, p->batches, p->events, p->errors);
    if (p->windowed)
        fprintf(p->f, "; batches %" PRIu64 "..%" PRIu64 " of the trace", p->win_a,
                p->win_b ? p->win_b - 1 : 0);
    if (p->replay)
        fprintf(p->f, "; replayed with %s", kev_profile_name(p->profile));
    fputs("</text>\n", p->f);
}

/* Label and background of one row. */
static void svg_row(plot *p, unsigned y, unsigned h, const char *cls, const char *label)
{
    fprintf(p->f, "<rect class=\"%s\" x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\"/>\n",
            cls, p->label_w, y, p->plot_w + PLOT_PAD, h);
    fprintf(p->f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\" class=\"lab\">",
            p->label_w - 8, y + h / 2 + 4);
    put_str(p->f, label);
    fputs("</text>\n", p->f);
}

static void svg_rows(plot *p)
{
    if (p->replay) {
        char label[48];
        snprintf(label, sizeof label, "%s (%s)",
                 p->profile == KEV_PROFILE_HARDENED ? "diagnostics" : "defects",
                 kev_profile_name(p->profile));
        svg_row(p, PLOT_TOP, PLOT_FIND_H - 4, "frow", label);
    }
    for (unsigned slot = 0; slot < LANE__SLOTS; slot++) {
        bool used = slot < p->n_ifs || (slot == LANE_OTHER_IFS && p->other_used) ||
                    (slot == LANE_NO_IF && p->show_none);
        if (!used)
            continue;
        const char *label = slot == LANE_OTHER_IFS ? "(other interfaces)"
                            : slot == LANE_NO_IF   ? "(no interface)"
                                                   : p->lanes[slot].label;
        unsigned row = p->row_of[slot];
        svg_row(p, p->lanes_top + row * PLOT_LANE_H, PLOT_LANE_H, row % 2 ? "row1" : "row0",
                label);
    }
}

/* The time axis: a grid line and a label per tick, the axis title. */
static void svg_axis(plot *p)
{
    /* As many decimals as the step needs: 9 less its power of ten. */
    unsigned decimals = 9;
    for (uint64_t s = p->tick_ns; s % 10 == 0 && decimals > 0; s /= 10)
        decimals--;
    for (uint64_t k = 0, v = 0; v <= p->axis_ns; k++, v = k * p->tick_ns) {
        uint64_t x = x10_at(p, v);
        char lab[32];
        fmt_secs(lab, sizeof lab, v, decimals);
        fputs("<line class=\"grid\" x1=\"", p->f);
        put_x10(p->f, x);
        fprintf(p->f, "\" y1=\"%u\" x2=\"", PLOT_TOP);
        put_x10(p->f, x);
        fprintf(p->f, "\" y2=\"%u\"/>\n<text text-anchor=\"middle\" x=\"", p->axis_y + 5);
        put_x10(p->f, x);
        fprintf(p->f, "\" y=\"%u\" class=\"dim\">%s</text>\n", p->axis_y + 18, lab);
        if (v > UINT64_MAX - p->tick_ns)
            break;
    }
    fprintf(p->f, "<line class=\"axis\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n",
            p->label_w, p->axis_y, p->x0 + p->plot_w, p->axis_y);
    fprintf(p->f,
            "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" class=\"lab\">seconds "
            "from the first record</text>\n",
            p->x0 + p->plot_w / 2, p->axis_y + 38);
}

/* One legend cell: its glyph at (x, y) and its text. */
static void legend_cell(plot *p, unsigned x, unsigned y, unsigned item)
{
    FILE *f = p->f;
    const char *text;
    if (item < K__COUNT) {
        fprintf(f, "<circle class=\"k%u\" cx=\"%u\" cy=\"%u\" r=\"4.5\"/>\n", item, x + 6,
                y);
        text = kinds[item].name;
    } else if (item == K__COUNT) {
        fprintf(f, "<circle class=\"h%u\" cx=\"%u\" cy=\"%u\" r=\"4\"/>\n", K_OTHER, x + 6,
                y);
        text = "hollow: removed or off";
    } else if (item == K__COUNT + 1) {
        fprintf(f, "<line class=\"err\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n", x + 6,
                y - 8, x + 6, y + 8);
        text = "failed recv()";
    } else if (item == K__COUNT + 2) {
        fprintf(f, "<path class=\"dmg\" d=\"M%u %uL%u %uM%u %uL%u %u\"/>\n", x + 2, y - 4,
                x + 10, y + 4, x + 2, y + 4, x + 10, y - 4);
        text = "damaged framing";
    } else if (item == K__COUNT + 3) {
        fprintf(f, "<rect class=\"band\" x=\"%u\" y=\"%u\" width=\"4\" height=\"16\"/>\n",
                x + 4, y - 8);
        fprintf(f, "<path class=\"%s\" d=\"M%u %ul6 7l-6 7l-6 -7z\"/>\n",
                p->profile == KEV_PROFILE_HARDENED ? "diag" : "def", x + 6, y - 7);
        text = p->profile == KEV_PROFILE_HARDENED ? "diagnostic (hover: which)"
                                                  : "defect (hover: which)";
    } else if (item == K__COUNT + 4) {
        fprintf(f, "<path class=\"drift\" d=\"M%u %ul5 9h-10z\"/>\n", x + 6, y - 5);
        text = "drift from the kernel";
    } else {
        fprintf(f, "<rect class=\"stop\" x=\"%u\" y=\"%u\" width=\"12\" height=\"14\"/>\n", x,
                y - 7);
        text = "monitoring stopped";
    }
    fprintf(f, "<text x=\"%u\" y=\"%u\" class=\"lab\">%s</text>\n", x + 16, y + 4, text);
}

static void svg_legend(plot *p)
{
    unsigned items = K__COUNT + 3 + (p->replay ? 3 : 0);
    unsigned per_row = (p->width - 40) / PLOT_LEGEND_CELL;
    for (unsigned i = 0; i < items; i++)
        legend_cell(p, 12 + (i % per_row) * PLOT_LEGEND_CELL,
                    p->legend_top + (i / per_row) * 22, i);
}

/* ------------------------------------------------------------- pass two */

/* Counts a mark against PLOT_MAX_MARKS: false when it is left out. */
static bool mark_budget(plot *p, uint64_t t)
{
    if (p->drawn < PLOT_MAX_MARKS) {
        p->drawn++;
        return true;
    }
    if (p->dropped++ == 0)
        p->first_dropped_ns = t;
    return false;
}

/* Opens a tooltip: "<title>record N at +S s: ". */
static void title_begin(plot *p, const kev_trace_rec *rec)
{
    char off[32];
    fmt_secs(off, sizeof off, rec->t_ns > p->t_min ? rec->t_ns - p->t_min : 0, 3);
    fprintf(p->f, "<title>record %" PRIu64 " at +%s s: ", rec->index, off);
}

/* Is a mark of this glyph drawn less than PLOT_MERGE_PX pixels away (on
 * either side)? Then this one is merged into it. */
static bool merge(plot *p, int *last, uint64_t x10)
{
    int px = (int)(x10 / 10);
    if (*last >= 0 && px - *last < (int)PLOT_MERGE_PX && *last - px < (int)PLOT_MERGE_PX) {
        p->merged++;
        return true;
    }
    *last = px;
    return false;
}

/* A record's kind and whether it takes something away. */
static unsigned kind_of(const kev_decoded *r, bool *hollow)
{
    *hollow = false;
    if (r->hdr.vendor_code != KEV_VENDOR_APPLE || r->hdr.kev_class != KEV_NETWORK_CLASS)
        return K_OTHER;
    for (size_t i = 0; i < sizeof kind_table / sizeof kind_table[0]; i++)
        if (kind_table[i].subclass == r->hdr.kev_subclass &&
            kind_table[i].code == r->hdr.event_code) {
            *hollow = kind_table[i].hollow;
            return kind_table[i].kind;
        }
    return K_OTHER;
}

/* A black cross on the no-interface lane where a batch's framing breaks. */
static void draw_damage(plot *p, const kev_trace_rec *rec, const kev_decoded *r)
{
    uint64_t x10 = x10_of(p, rec->t_ns);
    if (merge(p, &p->lanes[LANE_NO_IF].last_x[2 * K__COUNT], x10) ||
        !mark_budget(p, rec->t_ns))
        return;
    unsigned y = lane_y(p, LANE_NO_IF);
    fputs("<path class=\"dmg\" d=\"M", p->f);
    put_x10(p->f, x10 - 40);
    fprintf(p->f, " %ul8 8m-8 0l8 -8\">", y - 4);
    title_begin(p, rec);
    fputs("damaged framing: ", p->f);
    put_str(p->f, r->message);
    fputs("</title></path>\n", p->f);
}

/* Where the next mark at pixel column x10/10 of a lane goes: marks of
 * other kinds at the same instant are stacked, not drawn over each other
 * (rows above and below the lane's line, then further columns). */
static void stack_slot(plot *p, unsigned slot, uint64_t *x10, int *dy)
{
    static const int rows[3] = {0, -(int)PLOT_STACK_DY, (int)PLOT_STACK_DY};
    plot_lane *l = &p->lanes[slot];
    int px = (int)(*x10 / 10);
    unsigned k = 0;
    if (l->stack_x >= 0 && px - l->stack_x < (int)PLOT_MERGE_PX &&
        l->stack_x - px < (int)PLOT_MERGE_PX)
        k = l->stack_n++;
    else {
        l->stack_x = px;
        l->stack_n = 1;
    }
    *dy = rows[k % 3];
    *x10 += 10u * PLOT_STACK_DX * (k / 3);
}

/* One decoded record: a circle on its lane. */
static void draw_event(plot *p, const kev_trace_rec *rec, const kev_decoded *r)
{
    if (r->kind == KEV_DECODED_DAMAGE) {
        draw_damage(p, rec, r);
        return;
    }
    bool hollow;
    unsigned kind = kind_of(r, &hollow), slot = lane_of(p, r, false);
    uint64_t x10 = x10_of(p, rec->t_ns);
    int dy;
    if (merge(p, &p->lanes[slot].last_x[2 * kind + hollow], x10) ||
        !mark_budget(p, rec->t_ns))
        return;
    stack_slot(p, slot, &x10, &dy);
    fprintf(p->f, "<circle class=\"%c%u\" cx=\"", hollow ? 'h' : 'k', kind);
    put_x10(p->f, x10);
    fprintf(p->f, "\" cy=\"%d\" r=\"%s\">", (int)lane_y(p, slot) + dy, hollow ? "3.6" : "4.2");
    title_begin(p, rec);
    const kev_dfield *name;
    plot_lane tmp;
    if (record_iface(r, &name, &tmp.unit)) {
        const uint8_t *nul = memchr(name->bytes, 0, name->len);
        tmp.name_len = (uint8_t)(nul ? (size_t)(nul - name->bytes) : name->len);
        memcpy(tmp.name, name->bytes, tmp.name_len);
        lane_label(&tmp);
        put_str(p->f, tmp.label);
        fputc(' ', p->f);
    }
    put_str(p->f, r->code_name);
    if (r->index > 0)
        fprintf(p->f, " (record %u of the batch)", r->index + 1);
    fputs("</title></circle>\n", p->f);
}

/* A failed recv(): a red line across the lanes. */
static void draw_error(plot *p, const kev_trace_rec *rec)
{
    uint64_t x10 = x10_of(p, rec->t_ns);
    if (merge(p, &p->lanes[LANE_NO_IF].last_x[2 * K__COUNT + 1], x10) ||
        !mark_budget(p, rec->t_ns))
        return;
    fputs("<line class=\"err\" x1=\"", p->f);
    put_x10(p->f, x10);
    fprintf(p->f, "\" y1=\"%u\" x2=\"", p->lanes_top);
    put_x10(p->f, x10);
    fprintf(p->f, "\" y2=\"%u\">", p->lanes_bottom);
    title_begin(p, rec);
    fprintf(p->f, "recv() failed: errno %d", rec->err);
    if (rec->err_name != NULL) {
        fputc(' ', p->f);
        put_str(p->f, rec->err_name);
    }
    fputs("</title></line>\n", p->f);
}

/* The short label of a finding: "D7", or "*" for a diagnostic that fixes
 * no seed defect. */
static void finding_id(const plot_finding *k, char out[16])
{
    if (k->defect > 0)
        snprintf(out, 16, "D%d", k->defect);
    else
        snprintf(out, 16, "*");
}

/* The marker of the gathered findings, on the findings row, with the first
 * finding's id above it when there is room; its tooltip lists them. */
static void group_flush(plot *p)
{
    bool open = p->group_open;
    p->group_open = false;
    if (!open || !mark_budget(p, p->group_t))
        return;
    unsigned cy = PLOT_TOP + 21; /* the label above, the diamond below */
    char id[16], at[32];
    fprintf(p->f, "<path class=\"%s\" d=\"M", p->group[0].diagnostic ? "diag" : "def");
    put_x10(p->f, p->group_x10);
    fmt_secs(at, sizeof at, p->group_t - p->t_min, 3);
    fprintf(p->f, " %ul6 8l-6 8l-6 -8z\"><title>at +%s s: %" PRIu64 " %s", cy - 8, at,
            p->n_group + p->group_over,
            p->profile == KEV_PROFILE_HARDENED ? "diagnostic(s)" : "defect(s)");
    for (unsigned i = 0; i < p->n_group; i++) {
        const plot_finding *k = &p->group[i];
        finding_id(k, id);
        fprintf(p->f, "&#10;record %" PRIu64 ": %s ", k->record, id);
        put_str(p->f, k->code);
        fprintf(p->f, " at event %" PRIu32 ", offset %" PRIu32 "%s: ", k->event, k->offset,
                k->stops ? " (stops the batch)" : "");
        put_str(p->f, k->message);
    }
    if (p->group_over)
        fprintf(p->f, "&#10;and %" PRIu64 " more", p->group_over);
    fputs("</title></path>\n", p->f);
    if ((int)(p->group_x10 / 10) < p->last_label_x + 30)
        return;
    /* "D7", and "+" when other ids share the marker. */
    bool others = false;
    for (unsigned i = 1; i < p->n_group; i++)
        others |= p->group[i].defect != p->group[0].defect;
    finding_id(&p->group[0], id);
    bool at_end = p->group_x10 / 10 + 15 > p->x0 + p->plot_w;
    fprintf(p->f, "<text class=\"flab\" text-anchor=\"%s\" x=\"",
            at_end ? "end" : "middle");
    put_x10(p->f, p->group_x10 + (at_end ? 40 : 0));
    fprintf(p->f, "\" y=\"%u\">%s%s</text>\n", PLOT_TOP + 10, id, others ? "+" : "");
    p->last_label_x = (int)(p->group_x10 / 10);
}

/* Before a record is replayed: a record PLOT_GROUP_PX pixels or more from
 * the group's marker closes the group (so markers never overlap). */
static void group_next(plot *p, const kev_trace_rec *rec)
{
    p->cur_record = rec->index;
    p->cur_t = rec->t_ns;
    p->cur_x10 = x10_of(p, rec->t_ns);
    p->cur_findings = 0;
    uint64_t a = p->cur_x10, b = p->group_x10;
    if (p->group_open && (a > b ? a - b : b - a) >= 10u * PLOT_GROUP_PX)
        group_flush(p);
}

/* The highlight band across the lanes, under the marks of the first batch
 * of a findings group. */
static void draw_band(plot *p)
{
    if (p->drawn >= PLOT_MAX_MARKS)
        return;
    fputs("<rect class=\"band\" x=\"", p->f);
    put_x10(p->f, p->group_x10 - 20);
    fprintf(p->f, "\" y=\"%u\" width=\"4\" height=\"%u\"/>\n", PLOT_TOP,
            p->lanes_bottom - PLOT_TOP);
}

/* The world's finding callback: counts the finding and adds it to the
 * open group (opening one, with its band). */
static void on_finding(void *ctx, const kev_finding *fd)
{
    plot *p = ctx;
    if (!p->drawing)
        return; /* a batch before --from: replayed, not drawn */
    int id = fd->defect >= 0 && fd->defect <= KEV_DEFECT_MAX ? fd->defect : 0;
    p->defects_by_id[id]++;
    p->findings++;
    p->finding_batches += p->cur_findings++ == 0;
    if (!p->group_open) {
        p->group_open = true;
        p->group_x10 = p->cur_x10;
        p->group_t = p->cur_t;
        p->n_group = 0;
        p->group_over = 0;
        draw_band(p);
    }
    if (p->n_group == PLOT_MAX_GROUP_FINDINGS) {
        p->group_over++;
        return;
    }
    plot_finding *k = &p->group[p->n_group++];
    k->record = p->cur_record;
    k->defect = id;
    k->diagnostic = fd->kind == KEV_FINDING_DIAGNOSTIC;
    k->stops = fd->stops;
    k->event = fd->event;
    k->offset = fd->offset;
    snprintf(k->code, sizeof k->code, "%s", fd->code ? fd->code : "");
    snprintf(k->message, sizeof k->message, "%s", fd->message);
}

/* A key that starts drifting: a mark on its interface's lane, at the
 * record that made it part from the kernel. */
static void on_drift(void *ctx, const kev_drift_item *it, bool begins)
{
    plot *p = ctx;
    if (!begins || !p->drawing)
        return;
    unsigned slot = it->ifname[0] ? lane_of_kernel_name(p, it->ifname) : LANE_NO_IF;
    p->drift_list += it->ifname[0] == '\0';
    if (slot == LANE_NO_IF) {
        p->drift_unlaned++;
        return;
    }
    p->drift_marks++;
    if (!mark_budget(p, p->cur_t))
        return;
    uint64_t x10 = p->cur_x10;
    unsigned y = lane_y(p, slot) - PLOT_LANE_H / 2 + 1;
    fputs("<path class=\"drift\" d=\"M", p->f);
    put_x10(p->f, x10);
    fprintf(p->f, " %ul5 9h-10z\"><title>record %" PRIu64 ": drift begins: ", y, p->cur_record);
    put_str(p->f, it->key);
    fputs(": ", p->f);
    put_str(p->f, it->reason);
    fputs(" (", p->f);
    put_str(p->f, it->detail);
    fputs(")</title></path>\n", p->f);
}

/* Monitoring stopped (a failed recv() under a faithful profile, D12): a band
 * from there to the end of the axis, under what follows. */
static void draw_stopped(plot *p, uint64_t x10)
{
    unsigned right = p->x0 + p->plot_w;
    uint64_t w10 = 10u * right > x10 ? 10u * right - x10 : 10;
    p->stopped_band = true;
    fputs("<rect class=\"stop\" x=\"", p->f);
    put_x10(p->f, x10);
    fprintf(p->f, "\" y=\"%u\" width=\"", p->lanes_top);
    put_x10(p->f, w10);
    fprintf(p->f, "\" height=\"%u\"><title>monitoring stopped at record %" PRIu64
                  ": configd processes no batch after it (D12)</title></rect>\n",
            p->lanes_bottom - p->lanes_top, p->stopped_record);
    fputs("<text class=\"warn\" x=\"", p->f);
    put_x10(p->f, x10 + 40);
    fprintf(p->f, "\" y=\"%u\" font-size=\"10\">monitoring stopped</text>\n",
            p->lanes_top + 10);
}

/* After a record is replayed: has monitoring just stopped? */
static void check_monitoring(plot *p, const kev_trace_rec *rec)
{
    if (p->world == NULL || p->stopped_band || kev_world_stats_get(p->world)->monitoring)
        return;
    if (p->stopped_record == UINT64_MAX) {
        p->stopped_record = rec->index;
        p->stopped_t = rec->t_ns;
    }
    if (p->drawing) /* before the window: drawn where the window starts */
        draw_stopped(p, p->stopped_record >= p->win_a ? x10_of(p, rec->t_ns) : 10u * p->x0);
}

/* One batch: replayed first (a finding puts a band under its marks), then
 * its records drawn. */
static int draw_batch(plot *p, const kev_trace_rec *rec)
{
    group_next(p, rec);
    if (p->world != NULL) {
        size_t n = rec->caplen < KEV_MAX_BATCH ? rec->caplen : KEV_MAX_BATCH;
        int rc = kev_world_feed(p->world, rec->data, n, rec->t_ns);
        if (rc != 0) {
            kev_cli_error("plot", "%s: record %" PRIu64 ": replay: %s", p->trace,
                          rec->index, kev_strerror(rc));
            return KEV_EXIT_INTERNAL;
        }
    }
    check_monitoring(p, rec);
    if (!p->drawing)
        return KEV_EXIT_OK;
    kev_decoder d;
    kev_decode_init(&d, rec->data, rec->caplen, 0);
    while (kev_decode_next(&d, &p->dec) != 0)
        draw_event(p, rec, &p->dec);
    return KEV_EXIT_OK;
}

static int draw_failed_recv(plot *p, const kev_trace_rec *rec)
{
    group_next(p, rec);
    if (p->world != NULL &&
        kev_world_feed_error(p->world, rec->err, rec->err_name, rec->t_ns) != 0) {
        kev_cli_error("plot", "%s: record %" PRIu64 ": replay failed", p->trace,
                      rec->index);
        return KEV_EXIT_INTERNAL;
    }
    check_monitoring(p, rec);
    if (p->drawing)
        draw_error(p, rec);
    return KEV_EXIT_OK;
}

/* A world of the chosen profile, with the trace's snapshot loaded. */
static int world_open(plot *p, const kev_trace_meta *meta)
{
    kev_world_opts o;
    kev_world_opts_init(&o);
    o.profile = p->profile;
    o.on_finding = on_finding;
    o.finding_ctx = p;
    o.drift = true;
    o.on_drift = on_drift;
    o.drift_ctx = p;
    if ((p->world = kev_world_new(&o)) == NULL) {
        kev_cli_error("plot", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    if (meta->snapshot == NULL)
        return KEV_EXIT_OK;
    kev_strbuf err = KEV_STRBUF_INIT;
    int rc = kev_world_load_snapshot(p->world, meta->snapshot, meta->snapshot_len, &err);
    if (rc != 0)
        kev_cli_error("plot", "%s: snapshot: %s", p->trace,
                      err.len ? kev_strbuf_str(&err) : kev_strerror(rc));
    kev_strbuf_free(&err);
    return rc == 0 ? KEV_EXIT_OK : rc == KEV_ENOMEM ? KEV_EXIT_INTERNAL : KEV_EXIT_INPUT;
}

/* Reads the trace again and draws every record of the window (those
 * before it are replayed only). */
static int draw_all(plot *p, kev_trace_reader *r)
{
    kev_trace_rec rec;
    int rc, exit_code = KEV_EXIT_OK;
    bool from_seen = false, past = false;
    p->stopped_record = UINT64_MAX;
    while (exit_code == KEV_EXIT_OK && (rc = kev_trace_next(r, &rec)) == 1) {
        bool in = in_window(p, &rec, &from_seen, &past);
        if (past) {
            group_flush(p);
            memset(&p->end, 0, sizeof p->end); /* read as far as --to */
            return KEV_EXIT_OK;
        }
        if (in && !p->drawing) {
            p->drawing = true;
            if (p->stopped_record != UINT64_MAX)
                draw_stopped(p, 10u * p->x0); /* stopped before the window */
        }
        if (in)
            p->last_t = rec.t_ns;
        else if (p->world == NULL)
            continue; /* nothing to replay before the window */
        exit_code =
            rec.kind == KEV_TR_BATCH ? draw_batch(p, &rec) : draw_failed_recv(p, &rec);
    }
    if (exit_code != KEV_EXIT_OK)
        return exit_code;
    group_flush(p);
    p->end = *kev_trace_end(r, NULL);
    if (!kev_cli_trace_end_ok("plot", p->trace, r)) {
        p->damaged_trace = true;
        return KEV_EXIT_INPUT;
    }
    return KEV_EXIT_OK;
}

/* ---------------------------------------------------------------- footer */

static void footer_open(plot *p, unsigned line, bool warn)
{
    fprintf(p->f, "<text x=\"12\" y=\"%u\" class=\"%s\">",
            p->footer_top + line * PLOT_LINE_H, warn ? "warn" : "dim");
}

static void footer_marks(plot *p)
{
    footer_open(p, 0, p->dropped > 0);
    fprintf(p->f,
            "Marks: %" PRIu64 " drawn, %" PRIu64 " merged (same kind and lane, under %u px "
            "apart)",
            p->drawn, p->merged, PLOT_MERGE_PX);
    if (p->dropped > 0) {
        char at[32];
        fmt_secs(at, sizeof at, p->first_dropped_ns - p->t_min, 3);
        fprintf(p->f, ", %" PRIu64 " not drawn: the cap of %u marks was reached at +%s s",
                p->dropped, PLOT_MAX_MARKS, at);
    }
    fprintf(p->f, ". Damaged framing in %" PRIu64 " place(s).</text>\n", p->damaged);
}

static void footer_findings(plot *p)
{
    footer_open(p, 1, p->findings > 0);
    if (!p->replay) {
        fprintf(p->f,
                "Not replayed: run with --profile %s to mark defects and "
                "diagnostics.</text>\n",
                kev_cli_profile_list(false));
        return;
    }
    bool hardened = p->profile == KEV_PROFILE_HARDENED;
    fprintf(p->f, "%s: %" PRIu64 " %s in %" PRIu64 " record(s)",
            kev_profile_name(p->profile), p->findings,
            hardened ? "diagnostic(s)" : "defect(s)", p->finding_batches);
    const char *sep = ": ";
    for (int id = 1; id <= KEV_DEFECT_MAX + 1; id++) {
        int d = id == KEV_DEFECT_MAX + 1 ? 0 : id; /* defect 0 ("*") last */
        if (p->defects_by_id[d] == 0)
            continue;
        fprintf(p->f, "%s%s%d x%" PRIu64, sep, d ? "D" : "*", d, p->defects_by_id[d]);
        sep = ", ";
    }
    if (hardened)
        fputs(" (D: the seed defect it fixes; *: none)", p->f);
    fprintf(p->f, ". Drift: %" PRIu64 " key(s) began drifting from the kernel", p->drift_marks +
                                                                               p->drift_unlaned);
    if (p->drift_list)
        fprintf(p->f, " (%" PRIu64 " the interface list)", p->drift_list);
    if (p->stopped_record != UINT64_MAX) {
        char at[32];
        fmt_secs(at, sizeof at, p->stopped_t > p->t_min ? p->stopped_t - p->t_min : 0, 3);
        if (p->stopped_record < p->win_a)
            fprintf(p->f, ". Monitoring stopped at record %" PRIu64 ", before the window",
                    p->stopped_record);
        else
            fprintf(p->f, ". Monitoring stopped at record %" PRIu64 " (+%s s)",
                    p->stopped_record, at);
    }
    fputs(".</text>\n", p->f);
}

static void footer_end(plot *p)
{
    bool whole = p->end.status == KEV_TS_OK;
    footer_open(p, 2, !whole);
    fprintf(p->f, "Trace: %s", kev_cli_status_label(p->end.status));
    if (!whole) {
        fputs(": ", p->f);
        put_str(p->f, p->end.message);
        fputs(p->damaged_trace ? " (records before it are drawn)" : "", p->f);
    }
    fputs("</text>\n", p->f);
    if (p->other_used) {
        footer_open(p, 3, false);
        fprintf(p->f,
                "More than %u interfaces: the others share the lane (other "
                "interfaces).</text>\n",
                PLOT_MAX_LANES);
    }
}

/* Where a damaged trace stops being readable: a dashed line after the last
 * record read, labelled above the rows, on its left (the plot ends there). */
static void draw_damage_line(plot *p)
{
    uint64_t x10 = x10_of(p, p->last_t) + 30;
    fputs("<line stroke=\"#000\" stroke-dasharray=\"4 3\" x1=\"", p->f);
    put_x10(p->f, x10);
    fprintf(p->f, "\" y1=\"%u\" x2=\"", PLOT_TOP);
    put_x10(p->f, x10);
    fprintf(p->f, "\" y2=\"%u\"><title>", p->lanes_bottom);
    put_str(p->f, p->end.message);
    fputs("</title></line>\n<text class=\"warn\" text-anchor=\"end\" x=\"", p->f);
    put_x10(p->f, x10 - 30);
    fprintf(p->f, "\" y=\"%u\">trace damaged</text>\n", PLOT_TOP - 4);
}

static void svg_end(plot *p)
{
    if (p->damaged_trace)
        draw_damage_line(p);
    footer_marks(p);
    footer_findings(p);
    footer_end(p);
    fputs("</svg>\n", p->f);
}

/* ---------------------------------------------------------------- command */

/* Parses the options into p; 0, 1 after --help, -1 after a message. */
static int parse_args(plot *p, int argc, char **argv)
{
    const char *profile = NULL, *width = NULL;
    const kev_cli_opt opts[] = {{"-o", &p->out, NULL, NULL},
                                {"--profile", &profile, NULL, NULL},
                                {"--width", &width, NULL, NULL},
                                {"--from", &p->from, NULL, NULL},
                                {"--to", &p->to, NULL, NULL}};
    int nargs, rc = kev_cli_parse("plot", argc, argv, opts, sizeof opts / sizeof opts[0],
                                  plot_usage, &nargs);
    if (rc != 0)
        return rc;
    uint64_t w = PLOT_WIDTH_DEFAULT;
    if (nargs != 1 || p->out == NULL) {
        kev_cli_error("plot", "%s; see kevrr help plot",
                      nargs != 1 ? "give exactly one trace" : "no output: -o FILE.svg");
        return -1;
    }
    if ((profile != NULL && kev_cli_profile_parse("plot", profile, &p->profile) != 0) ||
        kev_cli_range_parse("plot", p->from, p->to, &p->range) != 0 ||
        kev_cli_out_not_input("plot", p->out, argv + 1, 1) != 0)
        return -1;
    if (width != NULL &&
        (kev_cli_parse_u64(width, &w) != 0 || w < PLOT_WIDTH_MIN || w > PLOT_WIDTH_MAX)) {
        kev_cli_error("plot", "--width '%s' is not in %u..%u", width, PLOT_WIDTH_MIN,
                      PLOT_WIDTH_MAX);
        return -1;
    }
    p->trace = argv[1];
    p->replay = profile != NULL;
    p->windowed = p->from != NULL || p->to != NULL;
    p->width = (unsigned)w;
    return 0;
}

/* TRACE is read twice: a FIFO (or a terminal, a socket) would block the
 * second time, or the first; refused before anything is opened. 0 or -1
 * after a message. */
static int check_trace_file(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        kev_cli_error("plot", "the trace is read twice: give a file, not '-'");
        return -1;
    }
    if (stat(path, &st) != 0)
        return 0; /* the open says why */
    if (!S_ISREG(st.st_mode)) {
        kev_cli_error("plot", "%s is not a regular file (a FIFO or a device): plot reads the "
                              "trace twice; copy it to a file first",
                      path);
        return -1;
    }
    return 0;
}

/* The second pass, into the open output. */
static int plot_write(plot *p)
{
    kev_trace_reader *r = kev_cli_trace_open("plot", p->trace, 0);
    if (r == NULL)
        return KEV_EXIT_INPUT;
    int exit_code = p->replay ? world_open(p, kev_trace_meta_get(r)) : KEV_EXIT_OK;
    if (exit_code == KEV_EXIT_OK) {
        layout(p);
        p->last_label_x = -1000;
        svg_begin(p);
        svg_title(p, kev_trace_meta_get(r));
        svg_rows(p);
        svg_axis(p);
        svg_legend(p);
        exit_code = draw_all(p, r);
        if (exit_code == KEV_EXIT_OK || exit_code == KEV_EXIT_INPUT)
            svg_end(p);
    }
    kev_world_free(p->world);
    kev_trace_close(r);
    if (ferror(p->f) && exit_code != KEV_EXIT_INTERNAL) {
        kev_cli_error("plot", "error writing %s", p->out);
        exit_code = KEV_EXIT_INTERNAL;
    }
    return exit_code;
}

static int plot_cmd(int argc, char **argv)
{
    plot *p = calloc(1, sizeof *p);
    if (p == NULL) {
        kev_cli_error("plot", "out of memory");
        return KEV_EXIT_INTERNAL;
    }
    int rc = parse_args(p, argc, argv);
    int exit_code = rc > 0 ? KEV_EXIT_OK : rc < 0 ? KEV_EXIT_USAGE : KEV_EXIT_OK;
    if (rc == 0 && check_trace_file(p->trace) != 0) {
        exit_code = KEV_EXIT_USAGE;
    } else if (rc == 0) {
        exit_code = scan(p);
    }
    kev_cli_out o;
    if (rc == 0 && exit_code == KEV_EXIT_OK &&
        (exit_code = kev_cli_out_open(&o, "plot", p->out)) == KEV_EXIT_OK) {
        p->f = o.f;
        exit_code = plot_write(p);
        /* A damaged trace still gets the plot of what came before it. */
        bool keep =
            exit_code == KEV_EXIT_OK || (exit_code == KEV_EXIT_INPUT && p->end.status);
        int crc = kev_cli_out_close(&o, "plot", keep);
        exit_code = exit_code == KEV_EXIT_OK ? crc : exit_code;
    }
    free(p);
    return exit_code;
}

const kev_cmd kev_cmd_plot = {"plot", plot_cmd, "draw a trace as an SVG timeline",
                              plot_usage};
