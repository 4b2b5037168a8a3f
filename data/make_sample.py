#!/usr/bin/env python3
"""Generate the bangfu sample data set in data/sample/.

The data models the city's paired-assistance programme for 78 backward villages
(后进村), see ../../shared/programme-report-zh.txt. The script is deterministic:
standard library only, one fixed seed, UTF-8 without BOM, "\n" line endings.

How it works
  1. Fixed lists (towns, departments, leaders) and generated names.
  2. A *plan*: every village gets a category (exit with a target grade, or one
     of several reasons to continue).
  3. Pre-allocation of every quantity whose programme total is fixed by the
     report (practical funds, works, reserve cadres, training classes, relief).
  4. Per village, the remaining fields are drawn at random and re-drawn until
     the village's score (the scoring rules are re-implemented below) matches
     its category.
  5. Score-neutral repairs bring the stability counts to the report's totals.
  6. Every constraint is asserted, the files are written and a summary printed.

How the scoring rules (section 2) meet the report's totals:
  * Leadership minimum 12 = committees 6 + secretary 6: a village with a
    complete 两委 and a capable secretary passes without any reserve cadre or
    training class. Cadres (2 points each, up to 4) and classes (2 each, up to
    4) only lift the grade, so the report's 30多 cadres and 50多 classes are
    spread thinly: 2 + 2 to every 优秀 village, a few to the others. Villages
    that fail leadership lack a complete 两委 or a capable secretary.
  * Services minimum 10: practical funds give 1 point per 万元 up to 5, so the
    218 万元 (2.8 万元 per village on average) matter to every village. Only 31
    works items exist in the report; a village without one passes services
    with relief 4 + medical insurance + funds >= 10 (funds 1.5-3.5 万元, e.g.
    tap water, which the report funds but which is not a works column).
"""

import math
import os
import random
import sys
from decimal import Decimal
from fractions import Fraction

SEED = 20260101
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample")

rng = random.Random(SEED)


def dec(n, places):
    """Integer n scaled by 10^-places as a plain Decimal (60, 1 -> 6.0)."""
    return Decimal(n).scaleb(-places)


def uni(lo, hi, places):
    """Uniform draw on [lo, hi] with `places` decimals, as Decimal."""
    f = 10 ** places
    return dec(rng.randint(round(lo * f), round(hi * f)), places)


# ---------------------------------------------------------------------------
# 1. Fixed lists
# ---------------------------------------------------------------------------

TOWNS = [  # 12 towns/streets/districts; Z01 = 齐山镇 (北周家村's town)
    "齐山镇", "东庄镇", "南河镇", "柳林镇", "石桥镇", "西山镇",
    "古城街道", "城关街道", "龙泉街道", "东湖街道", "经济开发区", "高新技术产业开发区",
]
TOWN_SIZES = [7, 6, 8, 5, 9, 7, 6, 4, 7, 8, 5, 6]  # villages per town, 4-9, sum 78

# Departments by kind. weak_leadership -> municipal, unstable -> political_legal
# (政法部门及有关综合部门), weak_economy -> economic (departments with money).
DEPTS = {
    "municipal": [
        "市委组织部", "市委宣传部", "市委统战部", "市委党校", "市农业局", "市林业局",
        "市畜牧兽医局", "市民政局", "市教育局", "市卫生局", "市文化局", "市科技局",
        "市人事局", "市劳动和社会保障局", "市人口和计划生育局", "市审计局", "市统计局",
        "市总工会", "市妇联",
    ],
    "political_legal": [
        "市委政法委", "市公安局", "市人民法院", "市人民检察院", "市司法局", "市信访局",
        "市纪委", "市委办公室", "市政府办公室", "市人大常委会办公室", "市政协办公室",
        "市人民武装部", "市安全生产监督管理局",
    ],
    "economic": [  # 市地税局 first: it helps V01 北周家村
        "市地税局", "市国税局", "市财政局", "市发展和改革局", "市供电公司", "市烟草专卖局",
        "市农村信用合作联社", "市工商银行", "市农业银行", "市建设银行", "市邮政局",
        "市电信公司", "市移动公司", "市交通局", "市建设局", "市国土资源局", "市水利局",
        "市工商局",
    ],
}
KIND_OF_TYPE = {"weak_leadership": "municipal", "unstable": "political_legal",
                "weak_economy": "economic"}

LEADER_TITLES = [  # 20 city leaders, each linked to one village
    "市委书记", "市长", "市人大常委会主任", "市政协主席", "市委副书记", "常务副市长",
    "市委常委、组织部部长", "市委常委、纪委书记", "市委常委、政法委书记",
    "市委常委、宣传部部长", "市委常委、统战部部长", "市委常委、办公室主任",
    "市委常委、人武部政委", "副市长", "副市长", "副市长",
    "市人大常委会副主任", "市人大常委会副主任", "市政协副主席", "市政协副主席",
]

SURNAMES = list("王张李刘孙杨于姜周赵宋林徐曲邹吕董孔柳隋迟初衣战宫姚高陈郝滕纪丁修盛鞠矫慕栾臧")
GIVEN = ["建国", "振华", "立新", "海涛", "文军", "秀英", "志刚", "红梅", "明", "伟", "强",
         "磊", "静", "敏", "丽", "军", "勇", "涛", "斌", "杰", "峰", "刚", "平", "辉", "鹏",
         "华", "宁", "芳", "娜", "燕", "玉兰", "永胜", "德志", "庆海", "洪波", "晓东", "春雷",
         "世杰", "学军", "光明", "国栋", "丽娟", "卫东", "雪梅", "金龙", "树森", "延华",
         "传波", "培德", "晓燕", "瑞", "琳", "浩", "宇", "俊杰", "海燕", "志强", "建华",
         "文静", "晓丽"]
V_PREFIX = ["东", "西", "南", "北", "前", "后", "大", "小", "上", "下", ""]
V_SUFFIX = ["家村", "家庄村", "格庄村", "家疃村", "家夼村", "家泊村", "家沟村", "家洼村",
            "戈庄村", "家埠村", "家屯村", "家寨村"]

used_person_names = []


def person_name():
    while True:
        n = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if n not in used_person_names:
            used_person_names.append(n)
            return n


# ---------------------------------------------------------------------------
# 2. Scoring rules (the check the data is tuned against)
# ---------------------------------------------------------------------------

DIM_MIN = {"stability": 12, "leadership": 12, "economy": 12, "services": 10,
           "standardization": 9}
DIM_MAX = {"stability": 20, "leadership": 20, "economy": 25, "services": 20,
           "standardization": 15}   # sums of the indicators' maximums, 100 in all
DIMS = list(DIM_MIN)


def ratio(a, b):
    return Fraction(1) if b == 0 else Fraction(a, b)


def clamp01(x):
    return max(Fraction(0), min(Fraction(1), x))


def linear(v, lo, hi, points):
    return clamp01((Fraction(v) - Fraction(lo)) / (Fraction(hi) - Fraction(lo))) * points


def score(v, base):
    """Score one village; every indicator rounded to 2 decimals, half away
    from zero (all points are >= 0, so this is floor(100 x + 1/2) / 100).

    Also reports 'ties': indicators whose exact value ends in a 5 at the third
    decimal, where half-up and half-even rounding disagree. The generator
    rejects those so that any engine rounding mode reproduces these numbers."""
    ties = []
    dims = {d: Fraction(0) for d in DIMS}

    def add(dim, name, x):
        n = Fraction(x) * 100
        if n.denominator == 2:
            ties.append(name)
        dims[dim] += Fraction(math.floor(n + Fraction(1, 2)), 100)

    # stability
    add("stability", "hist", 6 * ratio(v["hist_resolved"], v["hist_identified"]))
    add("stability", "disputes", 5 * ratio(v["disputes_mediated"], v["disputes_total"]))
    hz = ratio(v["hazards_removed"], v["hazards_found"])
    add("stability", "hazards", 5 if hz == 1 else (3 if hz >= Fraction(4, 5) else 0))
    add("stability", "petitions", max(0, 4 - v["individual_petitions"]))
    # leadership
    add("leadership", "committees", 6 if v["committees_complete"] else 0)
    add("leadership", "secretary", 6 if v["secretary_capable"] else 0)
    add("leadership", "reserve", min(4, 2 * v["reserve_cadres"]))
    add("leadership", "training", min(4, 2 * v["training_classes"]))
    # economy
    ci = Fraction(v["collective_income_wan"])
    add("economy", "collective", 0 if ci < 2 else 4 if ci < 5 else 7 if ci < 10 else 10)
    growth = Fraction(v["farmer_income_yuan"] - base["farmer_income_yuan"],
                      base["farmer_income_yuan"]) * 100
    add("economy", "growth", linear(growth, 0, 10, 6))
    add("economy", "investment", linear(v["investment_wan"], 0, 50, 5))
    add("economy", "jobs", min(Fraction(4), Fraction(1, 5) * v["jobs_placed"]))
    # services
    add("services", "funds", linear(v["practical_funds_wan"], 0, 5, 5))
    works = (v["roads_hardened"] + v["bridges_culverts"] + v["wells_ponds_pumps"]
             + v["offices_built"])
    add("services", "works", min(6, 2 * works))
    add("services", "medical", linear(v["medical_insurance_rate"], Decimal("0.80"),
                                      Decimal("0.95"), 5))
    rf = v["relief_funds_wan"]
    add("services", "relief", 4 if rf >= Decimal("0.2") else 2 if rf >= Decimal("0.1") else 0)
    # standardization
    add("standardization", "rules", 3 if v["rules_established"] else 0)
    add("standardization", "procedure", 4 * ratio(v["matters_by_procedure"], v["major_matters"]))
    add("standardization", "public", Fraction(4 * v["public_months"], 12))
    fa = v["finance_audits"]
    add("standardization", "audits", 4 if fa >= 4 else 2 if fa >= 2 else 0)

    total = sum(dims.values())
    fails = [d for d in DIMS if dims[d] < DIM_MIN[d]]
    grade = ("优秀" if total >= 90 else "良好" if total >= 80 else
             "合格" if total >= 70 else "不合格")
    vetoed = v["collective_petitions"] > 0 or v["skip_level_petitions"] > 0
    outcome = "exit" if total >= 70 and not fails and not vetoed else "continue"
    return {"dims": dims, "total": total, "fails": fails, "grade": grade,
            "outcome": outcome, "ties": ties}


def fmt_pts(x):
    return "%.2f" % float(x)


# ---------------------------------------------------------------------------
# 3. Villages: ids, towns, names, types, departments
# ---------------------------------------------------------------------------

N = 78
VIDS = ["V%02d" % i for i in range(1, N + 1)]
V = {vid: {"village_id": vid} for vid in VIDS}

# towns in contiguous blocks of ids: V01-V07 are 齐山镇 (Z01), ...
town_of = []
for t, size in enumerate(TOWN_SIZES):
    town_of += ["Z%02d" % (t + 1)] * size
assert len(town_of) == N
for vid, z in zip(VIDS, town_of):
    V[vid]["town_id"] = z

# names: V01 is 北周家村, the rest unique Jiaodong-style names (X家村, X格庄村, ...)
names = ["北周家村"]
while len(names) < N:
    n = rng.choice(V_PREFIX) + rng.choice(SURNAMES) + rng.choice(V_SUFFIX)
    if n not in names:
        names.append(n)
for vid, n in zip(VIDS, names):
    V[vid]["name"] = n

# village types: 20 unstable / 30 weak_leadership / 28 weak_economy; V01 weak_economy
types = ["unstable"] * 20 + ["weak_leadership"] * 30 + ["weak_economy"] * 27
rng.shuffle(types)
V["V01"]["village_type"] = "weak_economy"
for vid, ty in zip(VIDS[1:], types):
    V[vid]["village_type"] = ty

# departments: D01.. in list order; each helps 1 or 2 villages of its matching type
dept_rows = []
for kind in ("municipal", "political_legal", "economic"):
    for name in DEPTS[kind]:
        dept_rows.append({"dept_id": "D%02d" % (len(dept_rows) + 1), "name": name,
                          "dept_kind": kind})
for ty, kind in KIND_OF_TYPE.items():
    vs = [vid for vid in VIDS if V[vid]["village_type"] == ty]
    rng.shuffle(vs)
    if "V01" in vs:  # V01 goes first, so to the first economic department, 市地税局
        vs.remove("V01")
        vs.insert(0, "V01")
    ds = [d for d in dept_rows if d["dept_kind"] == kind]
    sizes = [2] * (len(vs) - len(ds)) + [1] * (2 * len(ds) - len(vs) - 1)
    rng.shuffle(sizes)
    sizes.insert(0, 1)  # the first department helps one village (市地税局: only 北周家村)
    assert sum(sizes) == len(vs), (kind, sizes)
    i = 0
    for d, s in zip(ds, sizes):
        for vid in vs[i:i + s]:
            V[vid]["dept_id"] = d["dept_id"]
        i += s
for i, vid in enumerate(VIDS):
    V[vid]["team_id"] = "WT%02d" % (i + 1)

# ---------------------------------------------------------------------------
# 4. The plan: a category per village
# ---------------------------------------------------------------------------
# exits (63): EXC 优秀 x6 (V01 + five), GOOD 良好 x24, PASS 合格 x31, EXACT70 x2
# continue (15):
#   F_STAB, F_ECON, F_SERV, F_STD x1 each, F_LEAD x2
#               total >= 70, only that dimension under its minimum
#   FLS x1      total >= 70, leadership and services under their minimums
#   LOW x6      total < 70 (45..70)
#   NEAR x2     total < 70 but close (65..70): near misses
CATEGORY = {"V01": "EXC"}


def pick(cat, n, prefer=None):
    free = [vid for vid in VIDS if vid not in CATEGORY]
    pool = [vid for vid in free if prefer is None or V[vid]["village_type"] == prefer]
    for vid in rng.sample(pool, n):
        CATEGORY[vid] = cat


pick("EXC", 5)
pick("F_STAB", 1, "unstable")
pick("F_ECON", 1, "weak_economy")
pick("F_STD", 1, "weak_leadership")
pick("F_SERV", 1)
pick("F_LEAD", 2, "weak_leadership")   # weak leadership stays weak
pick("FLS", 1, "weak_leadership")
pick("NEAR", 2, "weak_leadership")
pick("LOW", 2, "weak_leadership")
pick("LOW", 2, "unstable")
pick("LOW", 2, "weak_economy")
pick("GOOD", 24)
pick("EXACT70", 2)
pick("PASS", N - len(CATEGORY))
assert len(CATEGORY) == N

EXIT_CATS = ("EXC", "GOOD", "PASS", "EXACT70")
LEAD_PASS = EXIT_CATS + ("F_STAB", "F_ECON", "F_SERV", "F_STD")   # 67 villages
SERV_PASS = EXIT_CATS + ("F_STAB", "F_ECON", "F_STD", "F_LEAD")   # 68 villages


def cat_villages(*cats):
    return [vid for vid in VIDS if CATEGORY[vid] in cats]


def repair_total(values, ranges, target):
    """Move values one unit at a time, each inside its range, until they sum to target."""
    keys = sorted(values)
    while sum(values.values()) != target:
        up = sum(values.values()) < target
        k = rng.choice(keys)
        lo, hi = ranges[k]
        if lo <= values[k] + (1 if up else -1) <= hi:
            values[k] += 1 if up else -1


# ---------------------------------------------------------------------------
# 5. Pre-allocation of the report's fixed totals
# ---------------------------------------------------------------------------
exc = [vid for vid in cat_villages("EXC") if vid != "V01"]

# Reserve cadres (report: 30多人) and training classes (50多期): V01 3 + 2, the
# other 优秀 villages 2 + 2 or 2 + 3 (the full 8 points); the rest drawn thinly
# by category, then moved one at a time (within each village's choices) to
# totals of 33-37 cadres and 53-57 classes. F_LEAD and FLS villages get at most
# 1 + 1 (4 points): without a complete 两委 or a secretary they stay under 12.
R_CHOICES = {"EXC": [2], "GOOD": [0, 0, 1], "PASS": [0, 0, 0, 0, 1],
             "EXACT70": [0, 0, 0, 0, 1], "F_LEAD": [0, 1], "FLS": [1],
             "LOW": [0, 0, 1], "NEAR": [0, 1]}
T_CHOICES = {"EXC": [2, 2, 3], "GOOD": [0, 1, 1, 2], "PASS": [0, 0, 1],
             "EXACT70": [0, 0, 1], "F_LEAD": [0, 1], "FLS": [1],
             "LOW": [0, 0, 1], "NEAR": [0, 1]}
cadres, classes, r_range, t_range = {}, {}, {}, {}
for vid in VIDS[1:]:
    rc = R_CHOICES.get(CATEGORY[vid], [0, 1])   # F_STAB, F_ECON, F_SERV, F_STD: [0, 1]
    tc = T_CHOICES.get(CATEGORY[vid], [0, 1])
    cadres[vid], r_range[vid] = rng.choice(rc), (min(rc), max(rc))
    classes[vid], t_range[vid] = rng.choice(tc), (min(tc), max(tc))
repair_total(cadres, r_range, rng.randint(33, 37) - 3)
repair_total(classes, t_range, rng.randint(53, 57) - 2)
cadres["V01"], classes["V01"] = 3, 2
for vid in VIDS:
    V[vid]["reserve_cadres"], V[vid]["training_classes"] = cadres[vid], classes[vid]

# Works (report: 12 roads, 6 bridges/culverts, 8 wells/ponds/pump stations,
# 5 offices = 31 items). V01: road + office; the other 29 items one per
# village: the other 优秀 villages, F_STAB/F_ECON/F_STD, F_LEAD, 12 GOOD, 7 PASS.
for vid in VIDS:
    for col in ("roads_hardened", "bridges_culverts", "wells_ponds_pumps", "offices_built"):
        V[vid][col] = 0
V["V01"]["roads_hardened"], V["V01"]["offices_built"] = 1, 1
items = (["roads_hardened"] * 11 + ["bridges_culverts"] * 6 + ["wells_ponds_pumps"] * 8
         + ["offices_built"] * 4)
rng.shuffle(items)
works_v = (exc + cat_villages("F_STAB", "F_ECON", "F_STD", "F_LEAD")
           + sorted(rng.sample(cat_villages("GOOD"), 12))
           + sorted(rng.sample(cat_villages("PASS"), 7)))
assert len(works_v) == len(items) == 29
for vid, col in zip(works_v, items):
    V[vid][col] = 1
WORKS = {vid for vid in works_v} | {"V01"}


def has_works(vid):
    return vid in WORKS


# road lengths: 180-420 m per road, total 3001-3300 m (report: 3000多米)
road_v = [vid for vid in VIDS if V[vid]["roads_hardened"] > 0]
lengths = {vid: 5 * rng.randint(36, 84) for vid in road_v}
target = 5 * rng.randint(610, 650)
while sum(lengths.values()) != target:
    vid = rng.choice(road_v)
    step = 5 if sum(lengths.values()) < target else -5
    if 180 <= lengths[vid] + step <= 420:
        lengths[vid] += step
for vid in VIDS:
    V[vid]["road_length_m"] = lengths.get(vid, 0)

# Practical funds, in tenths of 万元, total exactly 2180 (218万元). Points are
# 1 per 万元 up to 5. Each village gets a band by its role, a draw inside it,
# and then the draws are moved (inside their bands) to the exact total.
#   V01 9.0 (road + office), other 优秀 3.5-6.0, other works villages 2.0-4.5,
#   services passers without works 1.5-3.5, F_SERV 0.5-1.2, FLS 0.5-1.5,
#   LOW / NEAR 0.3-3.0.
FUND_BAND = {"F_SERV": (5, 12), "FLS": (5, 15), "LOW": (3, 30), "NEAR": (3, 30)}
funds, fund_band = {}, {}
for vid in VIDS[1:]:
    if vid in exc:
        fund_band[vid] = (35, 60)
    elif has_works(vid):
        fund_band[vid] = (20, 45)
    elif CATEGORY[vid] in SERV_PASS:
        fund_band[vid] = (15, 35)
    else:
        fund_band[vid] = FUND_BAND[CATEGORY[vid]]
    funds[vid] = rng.randint(*fund_band[vid])
repair_total(funds, fund_band, 2180 - 90)
funds["V01"] = 90
assert sum(funds.values()) == 2180
for vid in VIDS:
    V[vid]["practical_funds_wan"] = dec(funds[vid], 1)

# Relief funds (hundredths of 万元), total 20.01-22 (report: 20多万元).
# Band kept fixed by the repair: >= 0.20 -> 4 pts, [0.10, 0.20) -> 2, below -> 0.
BANDS = {4: (20, 60), 2: (10, 19), 0: (3, 9)}
relief, band = {}, {}
for vid in VIDS:
    c = CATEGORY[vid]
    if c in SERV_PASS or c in ("F_SERV", "FLS", "NEAR"):
        band[vid] = 4
    else:  # LOW
        band[vid] = rng.choice([4, 4, 2, 2, 0])
    lo, hi = BANDS[band[vid]]
    relief[vid] = rng.randint(lo, min(hi, 40))
target = rng.randint(2060, 2140)
while sum(relief.values()) != target:
    vid = rng.choice(VIDS)
    step = 1 if sum(relief.values()) < target else -1
    lo, hi = BANDS[band[vid]]
    if lo <= relief[vid] + step <= hi:
        relief[vid] += step
for vid in VIDS:
    V[vid]["relief_funds_wan"] = dec(relief[vid], 2)

# ---------------------------------------------------------------------------
# 6. Per-village generation, re-drawn until the score matches the category
# ---------------------------------------------------------------------------
# Level of each dimension by category (stab, econ, std) and medical-insurance range.
LEVELS = {
    "EXC": ("top", "top", "top"), "GOOD": ("high", "top", "high"),
    "PASS": ("mid", "mid", "mid"), "EXACT70": ("mid", "mid", "mid"),
    # a single failing dimension with total >= 70 needs the others near the top
    "F_STAB": ("fail", "top", "top"), "F_ECON": ("top", "mid", "top"),
    "F_SERV": ("high", "high", "high"), "F_STD": ("top", "top", "fail"),
    "F_LEAD": ("high", "high", "high"), "FLS": ("top", "top", "top"),
    "NEAR": ("high", "high", "high"),
}
MEDICAL = {"EXC": (955, 990), "GOOD": (930, 990), "PASS": (910, 985),
           "EXACT70": (910, 985), "F_STAB": (920, 990), "F_ECON": (920, 990),
           "F_SERV": (880, 935), "F_STD": (920, 990), "F_LEAD": (920, 990),
           "FLS": (860, 930), "NEAR": (880, 970), "LOW": (820, 950)}
PETITIONS = {"F_STAB": [1, 2, 3], "FLS": [0, 0, 1, 2], "NEAR": [0, 1, 1, 2],
             "LOW": [0, 1, 1, 2, 2, 3, 4]}
DISSATISFIED = {"EXC": (0.010, 0.060), "GOOD": (0.020, 0.120), "PASS": (0.030, 0.220),
                "EXACT70": (0.030, 0.220), "FLS": (0.100, 0.350),
                "NEAR": (0.100, 0.350), "LOW": (0.150, 0.450)}


def gen_stability(v, level, cat):
    unstable = v["village_type"] == "unstable"
    ident = rng.choice([0, 0, 1, 1, 2, 3] if unstable else [0] * 9 + [1])
    disp = rng.choice([1, 2, 2, 3, 3, 4, 5] if unstable else [0, 0, 1, 1, 1, 2, 2, 3])
    haz = rng.choice([0, 0, 0, 0, 1, 1, 2])
    if level in ("fail", "low"):   # failing villages carry open problems
        ident, disp, haz = max(ident, rng.randint(1, 3)), max(disp, rng.randint(2, 4)), \
            max(haz, rng.randint(1, 3))
    if level in ("top", "high"):
        u_i = u_d = u_h = 0
    elif level == "mid":
        u_i = 0 if rng.random() < 0.8 else 1
        u_d = 0 if rng.random() < 0.85 else 1
        u_h = 0 if rng.random() < 0.9 else 1
    elif level == "fail":
        u_i, u_d, u_h = rng.randint(1, 2), rng.randint(1, 2), rng.randint(0, 1)
    else:
        u_i, u_d, u_h = rng.randint(0, 2), rng.randint(0, 2), rng.randint(0, 2)
    v["hist_identified"], v["hist_resolved"] = ident, ident - min(u_i, ident)
    v["disputes_total"], v["disputes_mediated"] = disp, disp - min(u_d, disp)
    v["hazards_found"], v["hazards_removed"] = haz, haz - min(u_h, haz)
    v["collective_petitions"] = 0
    v["skip_level_petitions"] = 0
    v["individual_petitions"] = rng.choice(PETITIONS.get(cat, [0]))


def gen_leadership(v, cat):
    if cat in LEAD_PASS:
        v["committees_complete"] = v["secretary_capable"] = True
    else:  # failing: mostly no cadres/classes; some also lack a complete 两委 or a secretary
        r = rng.random()
        v["committees_complete"] = r >= 0.85
        v["secretary_capable"] = not (0.6 <= r < 0.85)
        if cat in ("LOW", "NEAR") and r < 0.6:
            v["committees_complete"] = v["secretary_capable"] = True


def gen_economy(v, level, base):
    poor = v["village_type"] == "weak_economy"
    if level == "top":
        ci = uni(10.0, 16.0, 1)
        g = rng.uniform(9.0, 15.0)
        inv = uni(30.0, 60.0, 1)
        jobs = rng.randint(15, 35)
    elif level == "high":
        ci = uni(10.0, 14.0, 1) if rng.random() < 0.7 else uni(6.0, 9.9, 1)
        g = rng.uniform(7.0, 14.0)
        inv = uni(15.0, 45.0, 1)
        jobs = rng.randint(8, 22)
    elif level == "mid":
        r = rng.random()
        ci = uni(5.0, 9.9, 1) if r < 0.65 else uni(10.0, 12.0, 1) if r < 0.9 else uni(2.5, 4.9, 1)
        g = rng.uniform(4.0, 12.0)
        inv = uni(3.0, 30.0, 1)
        jobs = rng.randint(2, 14)
    elif level == "fail":
        ci = uni(2.0, 4.9, 1) if rng.random() < 0.6 else uni(0.5, 1.9, 1)
        g = rng.uniform(0.5, 5.0)
        inv = uni(0.0, 8.0, 1)
        jobs = rng.randint(0, 5)
    else:  # low
        ci = uni(0.3, 1.9, 1) if rng.random() < 0.5 else uni(2.0, 6.0, 1)
        g = rng.uniform(-1.5, 7.0)
        inv = uni(0.0, 12.0, 1)
        jobs = rng.randint(0, 6)
    if v["village_id"] == "V01":  # knitting workshop: 50余万元, 10 workshops, ~30 jobs
        ci, g, inv, jobs = uni(10.5, 12.5, 1), rng.uniform(11.0, 14.0), uni(52.0, 58.0, 1), \
            rng.randint(30, 33)
    income = rng.randint(3000, 4800) if poor else rng.randint(3500, 6000)
    v["collective_income_wan"], v["investment_wan"], v["jobs_placed"] = ci, inv, jobs
    v["farmer_income_yuan"] = income
    base["farmer_income_yuan"] = round(income / (1 + g / 100))


def gen_services(v, cat):
    lo, hi = MEDICAL[cat]
    if cat in SERV_PASS and not has_works(v["village_id"]):
        lo = max(lo, 930)   # without works, services needs >= 4.33 points here
    v["medical_insurance_rate"] = dec(rng.randint(lo, hi), 3)


def gen_standardization(v, level):
    m = rng.randint(3, 8)
    if level == "top":
        rules, p, months, audits = True, m, 12, 4
    elif level == "high":
        rules, p = True, m - (0 if rng.random() < 0.7 else 1)
        months, audits = rng.choice([11, 12, 12, 12]), rng.choice([3, 4, 4, 4])
    elif level == "mid":
        rules, p = rng.random() < 0.9, max(1, m - rng.choice([0, 0, 1, 1, 2]))
        months, audits = rng.choice([9, 10, 11, 12, 12]), rng.choice([2, 3, 4, 4])
    elif level == "fail":
        rules, p = rng.random() < 0.3, max(1, round(m * rng.uniform(0.4, 0.75)))
        months, audits = rng.randint(4, 9), rng.randint(0, 2)
    else:  # low
        m = rng.randint(2, 8)
        rules, p = rng.random() < 0.5, max(1, round(m * rng.uniform(0.3, 1.0)))
        months, audits = rng.randint(3, 12), rng.randint(0, 4)
    v["rules_established"], v["major_matters"], v["matters_by_procedure"] = rules, m, p
    v["public_months"], v["finance_audits"] = months, audits


def accept(cat, s):
    t, f = s["total"], s["fails"]
    if t == 70 and cat != "EXACT70":   # exactly 70.00 only where planned
        return False
    if cat == "EXC":
        return t >= 90 and not f
    if cat == "GOOD":
        return 80 <= t < 90 and not f
    if cat == "PASS":
        return 70 <= t < 80 and not f
    if cat == "EXACT70":  # room to lower investment points down to exactly 70.00
        return (not f and Fraction(703, 10) <= t <= 73
                and s["dims"]["economy"] - (t - 70) >= Fraction(25, 2))
    if cat == "LOW":
        return 45 <= t < 70
    if cat == "NEAR":
        return 65 <= t < 70
    want = {"F_STAB": ["stability"], "F_ECON": ["economy"], "F_SERV": ["services"],
            "F_STD": ["standardization"], "F_LEAD": ["leadership"],
            "FLS": ["leadership", "services"]}[cat]
    return t >= 70 and f == want


BASE = {vid: {"village_id": vid} for vid in VIDS}
tries = {}
for vid in VIDS:
    cat = CATEGORY[vid]
    for attempt in range(1, 200001):
        v = dict(V[vid])
        b = dict(BASE[vid])
        if cat == "LOW":  # mixed levels: totals from the 40s to just under 70
            lv = (rng.choice(["high", "mid", "fail", "low"]),
                  rng.choice(["high", "mid", "fail", "low", "low"]),
                  rng.choice(["high", "mid", "fail", "low"]))
        else:
            lv = LEVELS[cat]
        gen_stability(v, lv[0], cat)
        gen_leadership(v, cat)
        gen_economy(v, lv[1], b)
        gen_services(v, cat)
        gen_standardization(v, lv[2])
        s = score(v, b)
        if s["ties"] or not accept(cat, s):
            continue
        if cat == "EXACT70":
            # investment points are investment/10 exactly (0.01 per 0.1 万元):
            # lower the investment until the total is exactly 70.00
            cut = (s["total"] - 70) * 100          # in 0.01-point steps = 0.1 万元
            inv10 = int(v["investment_wan"] * 10)
            if inv10 >= 500 or inv10 < cut + 10:
                continue
            v["investment_wan"] = dec(inv10 - int(cut), 1)
            s = score(v, b)
            if s["ties"] or s["total"] != 70 or s["fails"]:
                continue
        break
    else:
        sys.exit("could not generate %s (%s)" % (vid, cat))
    V[vid], BASE[vid], tries[vid] = v, b, attempt
    lo, hi = DISSATISFIED.get(cat, (0.080, 0.300))
    V[vid]["dissatisfied_share"] = uni(lo, hi, 3)

# ---------------------------------------------------------------------------
# 7. Score-neutral repairs of the stability totals
# ---------------------------------------------------------------------------
# Report: 20多个 historical problems solved, 100多个 disputes mediated, 30多起
# hidden dangers removed. Only villages where everything is already resolved
# (ratio 1, or 0/0 which also counts as 1) are touched: both counts move
# together, so no score changes.
def repair(found, done, lo, hi, prefer_unstable):
    target = rng.randint(lo, hi)
    while True:
        total = sum(V[vid][done] for vid in VIDS)
        if total == target:
            return
        up = total < target
        pool = [vid for vid in VIDS if V[vid][found] == V[vid][done] and (up or V[vid][done] > 0)
                and (not up or V[vid][done] < 5)]
        if up and prefer_unstable:
            pool = [vid for vid in pool if V[vid]["village_type"] == "unstable"] or pool
        vid = rng.choice(pool)
        V[vid][found] += 1 if up else -1
        V[vid][done] += 1 if up else -1


repair("hist_identified", "hist_resolved", 23, 27, True)
repair("disputes_total", "disputes_mediated", 106, 124, True)
repair("hazards_found", "hazards_removed", 33, 37, False)

# ---------------------------------------------------------------------------
# 8. Remaining columns and the unit tables
# ---------------------------------------------------------------------------
# Secretaries replaced (10余名): 12 villages with a capable (new) secretary, mostly weak_leadership
for vid in VIDS:
    V[vid]["secretary_replaced"] = False
cap = [vid for vid in VIDS if V[vid]["secretary_capable"]]
wl = [vid for vid in cap if V[vid]["village_type"] == "weak_leadership"]
for vid in rng.sample(wl, 9) + rng.sample([x for x in cap if x not in wl], 3):
    V[vid]["secretary_replaced"] = True

# Baseline: collective income mostly grew; individual petitions fell (个体访明显减少)
for vid in VIDS:
    ci = V[vid]["collective_income_wan"]
    growth = rng.uniform(-0.15, 0.4) if CATEGORY[vid] == "LOW" else rng.uniform(0.05, 0.9)
    BASE[vid]["collective_income_wan"] = max(dec(1, 1), dec(round(float(ci) * 10 / (1 + growth)), 1))
    BASE[vid]["individual_petitions"] = V[vid]["individual_petitions"] + rng.choice([0, 1, 1, 2, 2, 3])

# Departments' funds: delivered = the practical funds of the villages they help
# (report: 各包帮单位...累计投入资金218万元, so delivered sums to 218.0).
# Most deliver what they committed; 6 (helping a continuing village) fall short;
# 2 (helping only exiting villages) deliver more than they committed.
for d in dept_rows:
    d["villages"] = [vid for vid in VIDS if V[vid]["dept_id"] == d["dept_id"]]
    d["delivered"] = sum(funds[vid] for vid in d["villages"])
    d["committed"] = d["delivered"]
short = [d for d in dept_rows if any(CATEGORY[v] not in EXIT_CATS for v in d["villages"])]
over = [d for d in dept_rows if all(CATEGORY[v] in EXIT_CATS for v in d["villages"])
        and d["delivered"] >= 40]
for d in rng.sample(short, 6):
    d["committed"] = d["delivered"] + rng.randint(20, 80)
for d in rng.sample(over, 2):
    d["committed"] = d["delivered"] - rng.randint(5, 15)

# Work teams: three members; team days = mean of the members' days.
# Five teams (four of them at continuing villages) average under 20 days.
low_teams = (rng.sample([V[v]["team_id"] for v in VIDS if CATEGORY[v] not in EXIT_CATS], 4)
             + rng.sample([V[v]["team_id"] for v in cat_villages("PASS")], 1))
team_rows, member_rows = [], []
for vid in VIDS:
    tid = V[vid]["team_id"]
    days = []
    for role in ("leader", "dept_cadre", "town_cadre"):
        d10 = rng.randint(145, 199) if tid in low_teams else rng.randint(195, 270)
        days.append(d10)
        member_rows.append({"member_id": "M%03d" % (len(member_rows) + 1), "team_id": tid,
                            "name": person_name(), "role": role, "days_on_post": dec(d10, 1)})
    mean10 = Fraction(sum(days), 3)
    team_rows.append({"team_id": tid, "village_id": vid, "dept_id": V[vid]["dept_id"],
                      "days_on_post": dec(math.floor(mean10 + Fraction(1, 2)), 1)})

# City leaders: 20, each linked to a distinct village (V01 among them)
leader_villages = ["V01"] + rng.sample(VIDS[1:], len(LEADER_TITLES) - 1)
leader_rows = [{"leader_id": "L%02d" % (i + 1), "name": person_name(), "title": t,
                "village_id": lv} for i, (t, lv) in enumerate(zip(LEADER_TITLES, leader_villages))]

# ---------------------------------------------------------------------------
# 9. Checks
# ---------------------------------------------------------------------------
SCORES = {vid: score(V[vid], BASE[vid]) for vid in VIDS}


def tot(col):
    return sum(V[vid][col] for vid in VIDS)


def check(cond, msg):
    if not cond:
        sys.exit("CHECK FAILED: " + msg)


check(V["V01"]["name"] == "北周家村" and V["V01"]["town_id"] == "Z01", "V01")
check(V["V01"]["village_type"] == "weak_economy", "V01 type")
check(dept_rows[int(V["V01"]["dept_id"][1:]) - 1]["name"] == "市地税局", "V01 dept")
check(V["V01"]["investment_wan"] >= 50 and 28 <= V["V01"]["jobs_placed"] <= 35, "V01 economy")
check(len(set(V[v]["name"] for v in VIDS)) == N, "unique names")
check(all(4 <= town_of.count("Z%02d" % (i + 1)) <= 9 for i in range(12)), "town sizes")
check([sum(1 for v in VIDS if V[v]["village_type"] == t) for t in
       ("unstable", "weak_leadership", "weak_economy")] == [20, 30, 28], "type counts")
for vid in VIDS:
    v = V[vid]
    d = dept_rows[int(v["dept_id"][1:]) - 1]
    check(d["dept_kind"] == KIND_OF_TYPE[v["village_type"]], "dept kind " + vid)
    check(v["hist_resolved"] <= v["hist_identified"], "hist " + vid)
    check(v["disputes_mediated"] <= v["disputes_total"], "disputes " + vid)
    check(v["hazards_removed"] <= v["hazards_found"], "hazards " + vid)
    check(0 <= v["individual_petitions"] <= 4, "petitions " + vid)
    check(0 <= v["reserve_cadres"] <= 5 and 0 <= v["training_classes"] <= 4, "cadres " + vid)
    check((v["road_length_m"] == 0) == (v["roads_hardened"] == 0), "roads " + vid)
    check(Decimal(0) <= v["medical_insurance_rate"] <= 1, "medical " + vid)
    check(1 <= v["major_matters"] and v["matters_by_procedure"] <= v["major_matters"], "matters " + vid)
    check(0 <= v["public_months"] <= 12 and 0 <= v["finance_audits"] <= 4, "std " + vid)
    check(v["dissatisfied_share"] <= Decimal("0.45"), "dissatisfied " + vid)
    check(not v["secretary_replaced"] or v["secretary_capable"], "secretary " + vid)
    check(not SCORES[vid]["ties"], "rounding tie " + vid)
    check(all(0 <= SCORES[vid]["dims"][d] <= DIM_MAX[d] for d in DIMS), "dimension range " + vid)
    check(BASE[vid]["individual_petitions"] >= v["individual_petitions"], "baseline petitions")
check(sorted(set(d["dept_id"] for d in dept_rows if d["villages"])) ==
      [d["dept_id"] for d in dept_rows], "every department helps a village")
check(all(1 <= len(d["villages"]) <= 2 for d in dept_rows), "1 or 2 villages per department")
check(all(d["delivered"] > 0 for d in dept_rows), "every department delivered funds")

TOTALS = [  # (column, value, allowed range, the report's words)
    ("practical_funds_wan", tot("practical_funds_wan"), (Decimal("218.0"), Decimal("218.0")), "218万元"),
    ("roads_hardened", tot("roads_hardened"), (12, 12), "12条"),
    ("road_length_m", tot("road_length_m"), (3001, 3300), "3000多米"),
    ("bridges_culverts", tot("bridges_culverts"), (6, 6), "6座"),
    ("wells_ponds_pumps", tot("wells_ponds_pumps"), (8, 8), "8个"),
    ("offices_built", tot("offices_built"), (5, 5), "5处"),
    ("relief_funds_wan", tot("relief_funds_wan"), (Decimal("20.01"), Decimal("22")), "20多万元"),
    ("hist_resolved", tot("hist_resolved"), (21, 29), "20多个"),
    ("disputes_mediated", tot("disputes_mediated"), (101, 130), "100多个"),
    ("hazards_removed", tot("hazards_removed"), (31, 39), "30多起"),
    ("collective_petitions", tot("collective_petitions"), (0, 0), "没有集体访"),
    ("skip_level_petitions", tot("skip_level_petitions"), (0, 0), "没有越级访"),
    ("secretary_replaced", sum(V[v]["secretary_replaced"] for v in VIDS), (11, 14), "10余名"),
    ("reserve_cadres", tot("reserve_cadres"), (31, 39), "30多人"),
    ("training_classes", tot("training_classes"), (51, 59), "50多期"),
]
for col, val, (lo, hi), words in TOTALS:
    check(lo <= val <= hi, "%s = %s not in [%s, %s]" % (col, val, lo, hi))

exits = [v for v in VIDS if SCORES[v]["outcome"] == "exit"]
for vid in VIDS:  # every village ended where the plan put it
    check((vid in exits) == (CATEGORY[vid] in EXIT_CATS), "plan " + vid)
    if vid in exits:  # exit villages hold under either reading of "no petitions"
        check(V[vid]["individual_petitions"] == 0, "petitions at exit " + vid)
exact70 = [v for v in VIDS if SCORES[v]["total"] == 70]
check(1 <= len(exact70) <= 2 and all(v in exits for v in exact70),
      "one or two villages at exactly 70.00, all exiting")
check(60 <= len(exits) <= 66, "60-66 exits")
single = [v for v in VIDS if v not in exits and SCORES[v]["total"] >= 70
          and len(SCORES[v]["fails"]) == 1 and not V[v]["collective_petitions"]
          and not V[v]["skip_level_petitions"]]
check(len(single) >= 4 and len(set(SCORES[v]["fails"][0] for v in single)) >= 3,
      ">= 4 continue on one dimension alone (>= 3 dimensions)")
check(sum(1 for v in VIDS if SCORES[v]["total"] < 70) >= 4, ">= 4 totals under 70")
grade_n = {g: sum(1 for v in VIDS if SCORES[v]["grade"] == g) for g in ("优秀", "良好", "合格")}
check(4 <= grade_n["优秀"] <= 10 and grade_n["良好"] >= 15 and grade_n["合格"] >= 15,
      "grade spread %s" % grade_n)
check(SCORES["V01"]["grade"] in ("优秀", "良好") and "V01" in exits, "V01 grade")

# ---------------------------------------------------------------------------
# 10. Write the files
# ---------------------------------------------------------------------------
VILLAGE_COLS = [
    "village_id", "name", "town_id", "village_type", "dept_id", "team_id",
    "hist_identified", "hist_resolved", "disputes_total", "disputes_mediated",
    "hazards_found", "hazards_removed", "collective_petitions", "skip_level_petitions",
    "individual_petitions", "committees_complete", "secretary_capable", "secretary_replaced",
    "reserve_cadres", "training_classes", "collective_income_wan", "farmer_income_yuan",
    "investment_wan", "jobs_placed", "practical_funds_wan", "roads_hardened", "road_length_m",
    "bridges_culverts", "wells_ponds_pumps", "offices_built", "medical_insurance_rate",
    "relief_funds_wan", "rules_established", "major_matters", "matters_by_procedure",
    "public_months", "finance_audits", "dissatisfied_share",
]


def cell(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    s = str(x)
    assert s != "" and "," not in s and "\n" not in s and "E" not in s, s
    return s


def write_csv(name, cols, rows):
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(cell(r[c]) for c in cols) + "\n")


DATASET_YAML = """\
# 样例数据：78 个后进村的年终验收数据 (sample data set: the programme's 78 villages)
name: 后进村帮扶样例数据 (backward-village assistance, sample)
period: "2026"
tables:
  villages: villages.csv
  towns: towns.csv
  departments: departments.csv
  teams: teams.csv
  members: members.csv
  leaders: leaders.csv
baseline:
  villages: baseline.csv
"""

os.makedirs(OUT, exist_ok=True)
write_csv("villages.csv", VILLAGE_COLS, [V[v] for v in VIDS])
write_csv("baseline.csv", ["village_id", "farmer_income_yuan", "collective_income_wan",
                           "individual_petitions"], [BASE[v] for v in VIDS])
write_csv("towns.csv", ["town_id", "name"],
          [{"town_id": "Z%02d" % (i + 1), "name": n} for i, n in enumerate(TOWNS)])
write_csv("departments.csv", ["dept_id", "name", "dept_kind", "funds_committed_wan",
                              "funds_delivered_wan"],
          [dict(d, funds_committed_wan=dec(d["committed"], 1),
                funds_delivered_wan=dec(d["delivered"], 1)) for d in dept_rows])
write_csv("teams.csv", ["team_id", "village_id", "dept_id", "days_on_post"], team_rows)
write_csv("members.csv", ["member_id", "team_id", "name", "role", "days_on_post"], member_rows)
write_csv("leaders.csv", ["leader_id", "name", "title", "village_id"], leader_rows)
with open(os.path.join(OUT, "dataset.yaml"), "w", encoding="utf-8", newline="\n") as f:
    f.write(DATASET_YAML)

# ---------------------------------------------------------------------------
# 11. Summary
# ---------------------------------------------------------------------------
print("bangfu sample data written to %s (seed %d)" % (OUT, SEED))
print("\nprogramme totals (report's words):")
for col, val, _, words in TOTALS:
    print("  %-22s %10s   %s" % (col, val, words))
print("\noutcomes: exit %d, continue %d" % (len(exits), N - len(exits)))
for d in DIMS:
    n_ok = sum(1 for v in VIDS if SCORES[v]["dims"][d] >= DIM_MIN[d])
    print("  %-15s passed by %2d villages (minimum %d of %d)" % (d, n_ok, DIM_MIN[d], DIM_MAX[d]))
reasons = {}
for vid in VIDS:
    s = SCORES[vid]
    if s["outcome"] == "exit":
        continue
    key = ("total < 70" if s["total"] < 70 else "total >= 70") + \
        ", under minimum: " + (" + ".join(s["fails"]) or "-")
    reasons.setdefault(key, []).append(vid)
for key in sorted(reasons):
    print("  continue: %-55s %2d  %s" % (key, len(reasons[key]), " ".join(reasons[key])))
print("\ngrades:")
for g in ("优秀", "良好", "合格", "不合格"):
    vs = [v for v in VIDS if SCORES[v]["grade"] == g]
    print("  %s %2d%s" % (g, len(vs), ("  " + " ".join(vs)) if len(vs) <= 10 else ""))
exact = [v for v in VIDS if SCORES[v]["total"] == 70]
print("\nexactly 70.00: %s (%s)" % (" ".join(exact), ", ".join(SCORES[v]["outcome"] for v in exact)))
totals = sorted(SCORES[v]["total"] for v in VIDS)
print("total range: %s .. %s" % (fmt_pts(totals[0]), fmt_pts(totals[-1])))
print("\n  id   total  stab  lead  econ  serv  std   grade   outcome")
for vid in VIDS:
    s = SCORES[vid]
    print("  %s %6s %5s %5s %5s %5s %5s  %s  %s" % (
        vid, fmt_pts(s["total"]), *(fmt_pts(s["dims"][d]) for d in DIMS),
        s["grade"], s["outcome"] + ("" if s["outcome"] == "exit" else " (" + ",".join(s["fails"] or ["total"]) + ")")))
