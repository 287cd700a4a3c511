-- kevrr.lua: a Wireshark dissector for kevrr traces: macOS kernel events
-- (struct kern_event_msg, PF_SYSTEM/SYSPROTO_EVENT) as recorded by kevrr,
-- one recv() batch per packet, link type LINKTYPE_USER0 (147).
--
-- A batch is a sequence of records: a 24-byte header of six little-endian
-- u32 fields (total_size, vendor_code, kev_class, kev_subclass, id,
-- event_code), then the payload; total_size covers both and is not padded.
-- Payload layouts are the LP64 ones of eventmon-facts.md s3, the same as
-- src/decode.c; the event rows mirror the event table in src/events.c,
-- names, layouts and what each configd version runs for the event
-- (tests/cli/test_wireshark.sh checks every row). An empty packet is a
-- failed recv(): the trace keeps the errno in the packet comment.
--
-- Install: see contrib/wireshark/README.md.

local kevrr = Proto("kevrr", "kevrr kernel event batch (kern_event_msg)")

local HDR = 24

-- Preferences ---------------------------------------------------------------

kevrr.prefs.ilp32 = Pref.bool("i386 kev_dl_issues layout", false,
    "Decode KEV_DL_ISSUES with the i386 layout (timestamp at +44, info at +52)")

-- Names ---------------------------------------------------------------------

local vendors = { [1] = "KEV_VENDOR_APPLE" }
local classes = {
    [1] = "KEV_NETWORK_CLASS", [2] = "KEV_IOKIT_CLASS", [3] = "KEV_SYSTEM_CLASS",
    [4] = "KEV_APPLESHARE_CLASS", [5] = "KEV_FIREWALL_CLASS",
    [6] = "KEV_IEEE80211_CLASS", [7] = "KEV_NKE_CLASS",
}
local subclasses = {
    [1] = "KEV_INET_SUBCLASS", [2] = "KEV_DL_SUBCLASS",
    [3] = "KEV_NETPOLICY_SUBCLASS", [4] = "KEV_SOCKET_SUBCLASS",
    [5] = "KEV_ATALK_SUBCLASS", [6] = "KEV_INET6_SUBCLASS",
    [7] = "KEV_ND6_SUBCLASS", [8] = "KEV_NECP_SUBCLASS",
    [9] = "KEV_NETAGENT_SUBCLASS", [10] = "KEV_LOG_SUBCLASS",
    [11] = "KEV_NETEVENT_SUBCLASS", [12] = "KEV_MPTCP_SUBCLASS",
    [13] = "KEV_IPSEC_SUBCLASS", [14] = "KEV_POWER_SUBCLASS",
}

-- The event table (src/events.c): {subclass, code, name, layout, handler},
-- handler being what configd runs for the event: one name for every
-- version, or one per version in the order of `versions` (nil: ignored).
local versions = {"v888", "v963", "v1405"}
local events = {
    {1, 1, "KEV_INET_NEW_ADDR", "in_data", "ipv4_interface_update"},
    {1, 2, "KEV_INET_CHANGED_ADDR", "in_data", "ipv4_interface_update"},
    {1, 3, "KEV_INET_ADDR_DELETED", "in_data", "ipv4_interface_update"},
    {1, 4, "KEV_INET_SIFDSTADDR", "in_data", "ipv4_interface_update"},
    {1, 5, "KEV_INET_SIFBRDADDR", "in_data", "ipv4_interface_update"},
    {1, 6, "KEV_INET_SIFNETMASK", "in_data", "ipv4_interface_update"},
    {1, 7, "KEV_INET_ARPCOLLISION", "in_collision", "ipv4_arp_collision"},
    {1, 8, "KEV_INET_PORTINUSE", "in_portinuse", "ipv4_port_in_use"},
    {1, 9, "KEV_INET_ARPRTRFAILURE", "link", "ipv4_router_arp_failure"},
    {1, 10, "KEV_INET_ARPRTRALIVE", "link", "ipv4_router_arp_alive"},
    {2, 1, "KEV_DL_SIFFLAGS", "link"},
    {2, 2, "KEV_DL_SIFMETRICS", "link"},
    {2, 3, "KEV_DL_SIFMTU", "link"},
    {2, 4, "KEV_DL_SIFPHYS", "link"},
    {2, 5, "KEV_DL_SIFMEDIA", "link"},
    {2, 6, "KEV_DL_SIFGENERIC", "link"},
    {2, 7, "KEV_DL_ADDMULTI", "link"},
    {2, 8, "KEV_DL_DELMULTI", "link"},
    {2, 9, "KEV_DL_IF_ATTACHED", "link", "link_add"},
    {2, 10, "KEV_DL_IF_DETACHING", "link", "interface_detaching"},
    {2, 11, "KEV_DL_IF_DETACHED", "link", "link_remove"},
    {2, 12, "KEV_DL_LINK_OFF", "link", "link_update_status"},
    {2, 13, "KEV_DL_LINK_ON", "link", "link_update_status"},
    {2, 14, "KEV_DL_PROTO_ATTACHED", "dl_proto", {"mark_if_up/mark_if_down", "log only", "log only"}},
    {2, 15, "KEV_DL_PROTO_DETACHED", "dl_proto", {"mark_if_up/mark_if_down", "log only", "log only"}},
    {2, 16, "KEV_DL_LINK_ADDRESS_CHANGED", "link"},
    {2, 17, "KEV_DL_WAKEFLAGS_CHANGED", "link"},
    {2, 18, "KEV_DL_IF_IDLE_ROUTE_REFCNT", "link", "interface_update_idle_state"},
    {2, 19, "KEV_DL_IFCAP_CHANGED", "link"},
    {2, 20, "KEV_DL_LINK_QUALITY_METRIC_CHANGED", "dl_lqm", "interface_update_quality_metric"},
    {2, 21, "KEV_DL_NODE_PRESENCE", "none"},
    {2, 22, "KEV_DL_NODE_ABSENCE", "none"},
    {2, 23, "KEV_DL_MASTER_ELECTED", "none"},
    {2, 24, "KEV_DL_ISSUES", "dl_issues", "interface_update_link_issues"},
    {2, 25, "KEV_DL_IFDELEGATE_CHANGED", "link", {"ignored", "ignored", "interface_update_delegation"}},
    {2, 26, "KEV_DL_AWDL_RESTRICTED", "link"},
    {2, 27, "KEV_DL_AWDL_UNRESTRICTED", "link"},
    {2, 28, "KEV_DL_RRC_STATE_CHANGED", "dl_rrc"},
    {2, 29, "KEV_DL_QOS_MODE_CHANGED", "link"},
    {3, 1, "KEV_NETPOLICY_IFDENIED", "none"},
    {3, 2, "KEV_NETPOLICY_IFFAILED", "none"},
    {3, 3, "KEV_NETPOLICY_NETDENIED", "none"},
    {4, 1, "KEV_SOCKET_CLOSED", "none"},
    {6, 1, "KEV_INET6_NEW_USER_ADDR", "in6_data", "interface_update_ipv6"},
    {6, 2, "KEV_INET6_CHANGED_ADDR", "in6_data", "interface_update_ipv6"},
    {6, 3, "KEV_INET6_ADDR_DELETED", "in6_data", "interface_update_ipv6"},
    {6, 4, "KEV_INET6_NEW_LL_ADDR", "in6_data", "interface_update_ipv6"},
    {6, 5, "KEV_INET6_NEW_RTADV_ADDR", "in6_data", "interface_update_ipv6"},
    {6, 6, "KEV_INET6_DEFROUTER", "in6_data", {"interface_update_ipv6", "ignored", "ignored"}},
    {6, 7, "KEV_INET6_REQUEST_NAT64_PREFIX", "in6_data", {"ignored", "nat64_prefix_request", "nat64_prefix_request"}},
    {7, 1, "KEV_ND6_RA", "nd6"},
    {7, 2, "KEV_ND6_NDFAILURE", "nd6"},
    {7, 3, "KEV_ND6_NDALIVE", "nd6"},
    {7, 4, "KEV_ND6_DAD_FAILURE", "nd6"},
    {7, 5, "KEV_ND6_DAD_SUCCESS", "nd6"},
    {7, 6, "KEV_ND6_ADDR_DETACHED", "nd6", {"ignored", "interface_update_ipv6 (nd6)", "interface_update_ipv6 (nd6)"}},
    {7, 7, "KEV_ND6_ADDR_DEPRECATED", "nd6", {"ignored", "interface_update_ipv6 (nd6)", "interface_update_ipv6 (nd6)"}},
    {7, 8, "KEV_ND6_ADDR_EXPIRED", "nd6", {"ignored", "interface_update_ipv6 (nd6)", "interface_update_ipv6 (nd6)"}},
    {7, 9, "KEV_ND6_RTR_EXPIRED", "nd6", {"ignored", "ipv6_router_expired", "ipv6_router_expired"}},
    {7, 10, "KEV_ND6_PFX_EXPIRED", "nd6"},
    {8, 1, "KEV_NECP_POLICIES_CHANGED", "none"},
    {9, 1, "KEV_NETAGENT_REGISTERED", "none"},
    {9, 2, "KEV_NETAGENT_UNREGISTERED", "none"},
    {9, 3, "KEV_NETAGENT_UPDATED", "none"},
    {9, 4, "KEV_NETAGENT_UPDATED_INTERFACES", "none"},
    {10, 0, "KEV_LOG_IPFWLOGEVENT", "none"},
    {11, 1, "KEV_NETEVENT_APNFALLBACK", "none"},
    {11, 2, "KEV_NETEVENT_CLAT46_EVENT", "none"},
}

-- "h1 (v888, v963); h2 (v1405)": each handler with the versions that run it,
-- in the order they first appear.
local function configd_text(h)
    local order, by = {}, {}
    for i, v in ipairs(versions) do
        local name = type(h) == "table" and h[i] or h or "ignored"
        if not by[name] then
            by[name] = {}
            order[#order + 1] = name
        end
        table.insert(by[name], v)
    end
    local parts = {}
    for _, name in ipairs(order) do
        parts[#parts + 1] = name .. " (" .. table.concat(by[name], ", ") .. ")"
    end
    return table.concat(parts, "; ")
end

-- codes[subclass][code] = name; layout_of[subclass][code] = layout;
-- configd_of[subclass][code] = what each configd version does with it.
local codes, layout_of, configd_of = {}, {}, {}
for _, e in ipairs(events) do
    local sub, code = e[1], e[2]
    codes[sub] = codes[sub] or {}
    layout_of[sub] = layout_of[sub] or {}
    configd_of[sub] = configd_of[sub] or {}
    codes[sub][code] = e[3]
    layout_of[sub][code] = e[4]
    configd_of[sub][code] = configd_text(e[5])
end

local lqm_names = {
    [-2] = "OFF", [-1] = "UNKNOWN", [10] = "ABORT", [20] = "MINIMALLY_VIABLE",
    [50] = "POOR", [100] = "GOOD",
}

-- Fields --------------------------------------------------------------------

local f = {}
-- Header.
f.record = ProtoField.none("kevrr.record", "Record")
f.total_size = ProtoField.uint32("kevrr.hdr.total_size", "total_size", base.DEC)
f.vendor_code = ProtoField.uint32("kevrr.hdr.vendor_code", "vendor_code", base.DEC, vendors)
f.kev_class = ProtoField.uint32("kevrr.hdr.kev_class", "kev_class", base.DEC, classes)
f.kev_subclass = ProtoField.uint32("kevrr.hdr.kev_subclass", "kev_subclass", base.DEC, subclasses)
f.id = ProtoField.uint32("kevrr.hdr.id", "id", base.DEC)
f.event_code = ProtoField.uint32("kevrr.hdr.event_code", "event_code", base.DEC)
f.event = ProtoField.string("kevrr.event", "Event")
f.configd = ProtoField.string("kevrr.configd", "configd")
-- event_code with the names of one subclass's codes.
local code_field_prefix = {
    [1] = "inet", [2] = "dl", [3] = "netpolicy", [4] = "socket", [6] = "inet6",
    [7] = "nd6", [8] = "necp", [9] = "netagent", [10] = "log", [11] = "netevent",
}
local code_fields = {}
for sub, prefix in pairs(code_field_prefix) do
    code_fields[sub] = ProtoField.uint32("kevrr." .. prefix .. ".event_code",
        "event_code", base.DEC, codes[sub])
    f["code_" .. prefix] = code_fields[sub]
end

-- net_event_data.
f.if_family = ProtoField.uint32("kevrr.dl.if_family", "if_family", base.DEC)
f.if_unit = ProtoField.uint32("kevrr.dl.if_unit", "if_unit", base.DEC)
f.if_name = ProtoField.stringz("kevrr.dl.if_name", "if_name")
f.ifname = ProtoField.string("kevrr.ifname", "Interface (name and unit)")
-- kev_in_data, kev_in_collision, kev_in_portinuse.
f.in_addr = ProtoField.ipv4("kevrr.inet.ia_addr", "ia_addr")
f.in_net = ProtoField.ipv4("kevrr.inet.ia_net", "ia_net (host order)")
f.in_netmask = ProtoField.ipv4("kevrr.inet.ia_netmask", "ia_netmask (host order)")
f.in_subnet = ProtoField.ipv4("kevrr.inet.ia_subnet", "ia_subnet (host order)")
f.in_subnetmask = ProtoField.ipv4("kevrr.inet.ia_subnetmask", "ia_subnetmask (host order)")
f.in_netbroadcast = ProtoField.ipv4("kevrr.inet.ia_netbroadcast", "ia_netbroadcast")
f.in_dstaddr = ProtoField.ipv4("kevrr.inet.ia_dstaddr", "ia_dstaddr")
f.in_ipaddr = ProtoField.ipv4("kevrr.inet.ia_ipaddr", "ia_ipaddr")
f.hw_len = ProtoField.uint8("kevrr.inet.hw_len", "hw_len", base.DEC)
f.hw_addr = ProtoField.bytes("kevrr.inet.hw_addr", "hw_addr", base.COLON)
f.port = ProtoField.uint16("kevrr.inet.port", "port (host order)", base.DEC)
f.req_pid = ProtoField.uint32("kevrr.inet.req_pid", "req_pid", base.DEC)
f.reserved = ProtoField.bytes("kevrr.inet.reserved", "reserved")
-- kev_in6_data.
f.sin6 = ProtoField.none("kevrr.inet6.sockaddr", "sockaddr_in6")
f.sin6_len = ProtoField.uint8("kevrr.inet6.sin6_len", "sin6_len", base.DEC)
f.sin6_family = ProtoField.uint8("kevrr.inet6.sin6_family", "sin6_family", base.DEC)
f.sin6_port = ProtoField.uint16("kevrr.inet6.sin6_port", "sin6_port", base.DEC)
f.sin6_flowinfo = ProtoField.uint32("kevrr.inet6.sin6_flowinfo", "sin6_flowinfo", base.HEX)
f.sin6_scope_id = ProtoField.uint32("kevrr.inet6.sin6_scope_id", "sin6_scope_id", base.DEC)
f.in6_addr = ProtoField.ipv6("kevrr.inet6.ia_addr", "ia_addr")
f.in6_net = ProtoField.ipv6("kevrr.inet6.ia_net", "ia_net")
f.in6_dstaddr = ProtoField.ipv6("kevrr.inet6.ia_dstaddr", "ia_dstaddr")
f.in6_prefixmask = ProtoField.ipv6("kevrr.inet6.ia_prefixmask", "ia_prefixmask")
f.in6_plen = ProtoField.uint32("kevrr.inet6.plen", "ia_plen", base.DEC)
f.in6_flags = ProtoField.uint32("kevrr.inet6.flags", "ia6_flags", base.HEX)
local in6_flag_bits = {
    {"anycast", "ANYCAST", 0x1}, {"tentative", "TENTATIVE", 0x2},
    {"duplicated", "DUPLICATED", 0x4}, {"detached", "DETACHED", 0x8},
    {"deprecated", "DEPRECATED", 0x10}, {"nodad", "NODAD", 0x20},
    {"autoconf", "AUTOCONF", 0x40}, {"temporary", "TEMPORARY", 0x80},
    {"dynamic", "DYNAMIC", 0x100}, {"optimistic", "OPTIMISTIC", 0x200},
    {"secured", "SECURED", 0x400}, {"swiftdad", "SWIFTDAD", 0x800},
}
local in6_flag_fields = {}
for _, b in ipairs(in6_flag_bits) do
    local pf = ProtoField.bool("kevrr.inet6.flags." .. b[1], b[2], 32, nil, b[3])
    in6_flag_fields[#in6_flag_fields + 1] = pf
    f["flag_" .. b[1]] = pf
end
f.lt_expire = ProtoField.uint32("kevrr.inet6.lifetime.expire", "ia6t_expire", base.DEC)
f.lt_preferred = ProtoField.uint32("kevrr.inet6.lifetime.preferred", "ia6t_preferred", base.DEC)
f.lt_vltime = ProtoField.uint32("kevrr.inet6.lifetime.vltime", "ia6t_vltime", base.DEC)
f.lt_pltime = ProtoField.uint32("kevrr.inet6.lifetime.pltime", "ia6t_pltime", base.DEC)
f.in6_mac = ProtoField.ether("kevrr.inet6.ia_mac", "ia_mac")
-- DL payloads.
f.proto_family = ProtoField.uint32("kevrr.dl.proto_family", "proto_family", base.DEC)
f.proto_remaining = ProtoField.uint32("kevrr.dl.proto_remaining_count",
    "proto_remaining_count", base.DEC)
f.lqm = ProtoField.int32("kevrr.lqm", "link_quality_metric", base.DEC, lqm_names)
f.modid = ProtoField.bytes("kevrr.issues.modid", "modid")
f.timestamp = ProtoField.absolute_time("kevrr.issues.timestamp", "timestamp", base.UTC)
f.info = ProtoField.bytes("kevrr.issues.info", "info")
f.rrc_state = ProtoField.uint32("kevrr.dl.rrc_state", "rrc_state", base.DEC)
-- kev_nd6_event.
f.nd6_addr = ProtoField.ipv6("kevrr.nd6.in6_address", "in6_address")
f.nd6_val = ProtoField.uint32("kevrr.nd6.val", "val", base.DEC)
-- Bytes no layout explains.
f.trailing = ProtoField.bytes("kevrr.trailing", "Trailing bytes")
f.payload = ProtoField.bytes("kevrr.payload", "Payload")

kevrr.fields = f

local ef_malformed = ProtoExpert.new("kevrr.malformed", "Malformed kern_event_msg framing",
    expert.group.MALFORMED, expert.severity.ERROR)
local ef_short = ProtoExpert.new("kevrr.short", "Record ends before a payload field",
    expert.group.MALFORMED, expert.severity.WARN)
local ef_recv_failed = ProtoExpert.new("kevrr.recv_failed", "recv() failed",
    expert.group.RESPONSE_CODE, expert.severity.NOTE)
kevrr.experts = { ef_malformed, ef_short, ef_recv_failed }

local ok_comment, comment_field = pcall(Field.new, "frame.comment")
if not ok_comment then comment_field = nil end

-- Layouts: field descriptors {field, offset, size, how, label} ------------------
-- how: "le" (little-endian), "be" (network order or bytes), "sin6" (a
-- sockaddr_in6 subtree; field is its sin6_addr), "flags6", "time" (u64 Unix
-- seconds), "hwaddr" (as many bytes as the field before says: hw_len).

local link = {
    {f.if_family, 0, 4, "le", "if_family"}, {f.if_unit, 4, 4, "le", "if_unit"},
    {f.if_name, 8, 16, "be", "if_name"},
}

local function with_link(rest)
    local t = {}
    for _, d in ipairs(link) do t[#t + 1] = d end
    for _, d in ipairs(rest) do t[#t + 1] = d end
    return t
end

local function issues(ts_off, info_off)
    return with_link({
        {f.modid, 24, 20, "be", "modid"}, {f.timestamp, ts_off, 8, "time", "timestamp"},
        {f.info, info_off, 12, "be", "info"},
    })
end

-- layouts[name] = {descriptors, sizeof}
local layouts = {
    none = {{}, 0},
    link = {link, 24},
    in_data = {with_link({
        {f.in_addr, 24, 4, "be", "ia_addr"}, {f.in_net, 28, 4, "le", "ia_net"},
        {f.in_netmask, 32, 4, "le", "ia_netmask"}, {f.in_subnet, 36, 4, "le", "ia_subnet"},
        {f.in_subnetmask, 40, 4, "le", "ia_subnetmask"},
        {f.in_netbroadcast, 44, 4, "be", "ia_netbroadcast"},
        {f.in_dstaddr, 48, 4, "be", "ia_dstaddr"},
    }), 52},
    in_collision = {with_link({
        {f.in_ipaddr, 24, 4, "be", "ia_ipaddr"}, {f.hw_len, 28, 1, "le", "hw_len"},
        {f.hw_addr, 29, 0, "hwaddr", "hw_addr"},
    }), 32},
    in_portinuse = {{
        {f.port, 0, 2, "le", "port"}, {f.req_pid, 4, 4, "le", "req_pid"},
        {f.reserved, 8, 8, "be", "reserved"},
    }, 16},
    in6_data = {with_link({
        {f.in6_addr, 24, 28, "sin6", "ia_addr"}, {f.in6_net, 52, 28, "sin6", "ia_net"},
        {f.in6_dstaddr, 80, 28, "sin6", "ia_dstaddr"},
        {f.in6_prefixmask, 108, 28, "sin6", "ia_prefixmask"},
        {f.in6_plen, 136, 4, "le", "ia_plen"}, {f.in6_flags, 140, 4, "flags6", "ia6_flags"},
        {f.lt_expire, 144, 4, "le", "ia6t_expire"},
        {f.lt_preferred, 148, 4, "le", "ia6t_preferred"},
        {f.lt_vltime, 152, 4, "le", "ia6t_vltime"}, {f.lt_pltime, 156, 4, "le", "ia6t_pltime"},
        {f.in6_mac, 160, 6, "be", "ia_mac"},
    }), 168},
    dl_proto = {with_link({
        {f.proto_family, 24, 4, "le", "proto_family"},
        {f.proto_remaining, 28, 4, "le", "proto_remaining_count"},
    }), 32},
    dl_lqm = {with_link({ {f.lqm, 24, 4, "le", "link_quality_metric"} }), 28},
    dl_issues = {issues(48, 56), 72},
    dl_issues_i386 = {issues(44, 52), 64},
    dl_rrc = {with_link({ {f.rrc_state, 24, 4, "le", "rrc_state"} }), 28},
    nd6 = {with_link({
        {f.nd6_addr, 24, 16, "be", "in6_address"}, {f.nd6_val, 40, 4, "le", "val"},
    }), 44},
}

-- Dissection ------------------------------------------------------------------

-- Adds one sockaddr_in6 (28 bytes at r) as a subtree; addr_field is the
-- field of its sin6_addr.
local function add_sin6(tree, r, addr_field, label)
    local st = tree:add(f.sin6, r)
    st:add(f.sin6_len, r(0, 1))
    st:add(f.sin6_family, r(1, 1))
    st:add(f.sin6_port, r(2, 2))
    st:add(f.sin6_flowinfo, r(4, 4))
    st:add(addr_field, r(8, 16))
    st:add_le(f.sin6_scope_id, r(24, 4))
    st:set_text(label .. " (sockaddr_in6): " .. tostring(r(8, 16):ipv6()))
end

-- ia6_flags with one boolean per IN6_IFF_* bit and the names of those set.
local function add_flags6(tree, r)
    local ft = tree:add_le(f.in6_flags, r)
    local v, names = r:le_uint(), {}
    for i, b in ipairs(in6_flag_bits) do
        ft:add_le(in6_flag_fields[i], r)
        if math.floor(v / b[3]) % 2 == 1 then names[#names + 1] = b[2] end
    end
    if #names > 0 then ft:append_text(" (" .. table.concat(names, "|") .. ")") end
end

-- Adds one described field at payload p; returns its value when it is a
-- small little-endian number (hw_len, for hw_addr after it).
local function add_one(tree, p, d)
    local field, off, size, how, label = d[1], d[2], d[3], d[4], d[5]
    local r = p(off, size)
    if how == "le" then
        tree:add_le(field, r)
        return r:le_uint()
    elseif how == "sin6" then
        add_sin6(tree, r, field, label)
    elseif how == "flags6" then
        add_flags6(tree, r)
    elseif how == "time" then
        local secs = r:le_uint64()
        tree:add(field, r, NSTime.new(secs:tonumber(), 0))
            :append_text(" (" .. tostring(secs) .. ")")
    elseif size > 0 then
        tree:add(field, r)
    end
    return nil
end

-- Adds the payload fields of one record (p: its payload tvb, plen bytes).
-- A field past the end gets an expert info, and the walk stops there.
local function add_payload(tree, p, plen, layout)
    local descs, size = layout[1], layout[2]
    local prev
    for _, d in ipairs(descs) do
        local off, len = d[2], d[3]
        if d[4] == "hwaddr" then
            len = prev or 0
            size = size + len
            d = {d[1], off, len, "be", d[5]}
        end
        if off + len > plen then
            tree:add_proto_expert_info(ef_short, string.format(
                "%s missing: record ends at +%d (the field ends at +%d)",
                d[5], plen, off + len))
            return
        end
        prev = add_one(tree, p, d)
    end
    if plen > size then
        tree:add(#descs == 0 and f.payload or f.trailing, p(size, plen - size))
    end
end

-- The event name for the info column.
local function event_name(vendor, class, sub, code)
    if vendor == 1 and class == 1 then
        if codes[sub] and codes[sub][code] then return codes[sub][code] end
        if subclasses[sub] then return subclasses[sub] .. " code " .. code end
    end
    return string.format("vendor %d class %d subclass %d code %d", vendor, class, sub, code)
end

local function add_header(tree, r, name)
    local vendor, class, sub = r(4, 4):le_uint(), r(8, 4):le_uint(), r(12, 4):le_uint()
    tree:add_le(f.total_size, r(0, 4))
    tree:add_le(f.vendor_code, r(4, 4))
    tree:add_le(f.kev_class, r(8, 4))
    local apple_net = vendor == 1 and class == 1
    local si = tree:add_le(f.kev_subclass, r(12, 4))
    -- Subclass names are those of Apple's network class only.
    if not apple_net then si:set_text("kev_subclass: " .. sub) end
    tree:add_le(f.id, r(16, 4))
    local cf = apple_net and code_fields[sub] or nil
    if cf then
        tree:add_le(cf, r(20, 4))
        tree:add_le(f.event_code, r(20, 4)):set_hidden()
    else
        tree:add_le(f.event_code, r(20, 4))
    end
    tree:add(f.event, name):set_generated()
    local handled = apple_net and configd_of[sub] and configd_of[sub][r(20, 4):le_uint()]
    if handled then tree:add(f.configd, handled):set_generated() end
end

-- The layout of a record (a layouts entry).
local function layout_for(vendor, class, sub, code)
    local lname = "none"
    if vendor == 1 and class == 1 and layout_of[sub] then
        lname = layout_of[sub][code] or "none"
    end
    if lname == "dl_issues" and kevrr.prefs.ilp32 then lname = "dl_issues_i386" end
    return layouts[lname], lname
end

-- One well-framed record (r: a tvb of exactly its bytes); returns its
-- event name.
local function dissect_record(tree, r, index, offset)
    local size = r:len()
    local vendor, class = r(4, 4):le_uint(), r(8, 4):le_uint()
    local sub, code = r(12, 4):le_uint(), r(20, 4):le_uint()
    local name = event_name(vendor, class, sub, code)
    local rt = tree:add(f.record, r())
    rt:set_text(string.format("Record %d at offset %d: %s (%d bytes)", index, offset, name, size))
    add_header(rt, r, name)
    local layout, lname = layout_for(vendor, class, sub, code)
    local plen = size - HDR
    if plen == 0 then return name end
    local p = r(HDR, plen):tvb()
    add_payload(rt, p, plen, layout)
    -- configd's ifr_name: if_name then if_unit (copy_if_name).
    if lname ~= "none" and lname ~= "in_portinuse" and plen >= 24 then
        local ifname = p(8, 16):stringz() .. tostring(p(4, 4):le_uint())
        rt:add(f.ifname, p(0, 24), ifname):set_generated()
    end
    return name
end

-- Checks the framing of the record at `off`; returns its size or nil
-- after adding the malformed expert info.
local function frame_record(tree, tvb, off, len, index)
    local left = len - off
    local msg
    local size = left >= 4 and tvb(off, 4):le_uint() or 0
    if left < HDR then
        msg = string.format("header cut short: %d bytes left, a header needs %d", left, HDR)
    elseif size < HDR then
        msg = string.format("total_size %d is below the %d-byte header", size, HDR)
    elseif size > left then
        msg = string.format("total_size %d runs past the end of the batch (%d bytes left)",
            size, left)
    else
        return size
    end
    -- The expert info covers the bytes from the bad record to the end.
    tree:add_tvb_expert_info(ef_malformed, tvb(off, left),
        string.format("record %d at offset %d: %s", index, off, msg))
    return nil
end

local function dissect_failed_recv(tvb, pinfo, tree)
    local info = "recv() failed"
    if comment_field then
        local c = comment_field()
        if c and tostring(c.value):find("^recv%(%) failed") then info = tostring(c.value) end
    end
    pinfo.cols.info = info
    local t = tree:add(kevrr, tvb(0, 0))
    t:set_text("kevrr: " .. info .. " (no data)")
    t:add_proto_expert_info(ef_recv_failed, info)
end

function kevrr.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol = "KEVRR"
    local len = tvb:len()
    if len == 0 then
        dissect_failed_recv(tvb, pinfo, tree)
        return 0
    end
    local t = tree:add(kevrr, tvb())
    local names, off, index, bad = {}, 0, 0, false
    while off < len do
        local size = frame_record(t, tvb, off, len, index)
        if not size then bad = true; break end
        names[#names + 1] = dissect_record(t, tvb(off, size):tvb(), index, off)
        off, index = off + size, index + 1
    end
    local info = table.concat(names, ", ")
    if bad then info = (info == "" and "" or info .. " ") .. "[malformed]" end
    pinfo.cols.info = info
    t:append_text(string.format(", %d record%s", index, index == 1 and "" or "s"))
    return len
end

DissectorTable.get("wtap_encap"):add(wtap.USER0, kevrr)
