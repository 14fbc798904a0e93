"""The demo district (`flask --app huishang demo`): a believable Xuhui, reproducible, loaded once.

The registry part below adds 374 shops over the 13 streets (Chinese sign and entity names from
word lists, valid USCCs, addresses on real Xuhui roads, coordinates grouped by street), five
commercial complexes with tenants, breakfast points, cold-chain shops, licences of which some
expire within 30 days, and one login per role (see `LOGINS`). A fixed seed makes every run
produce the same district, plate codes included.

The other features' demo data come from the STEPS beside this module (`inspections`, `feedback`,
`merchant`): functions `step(ctx: DemoContext) -> None` listed in `DEMO_STEPS` in the order they
run, after the registry part; the command commits once at the end. A step:
  - gets `ctx.rng` (its own `random.Random`, seeded from the step name: adding a step does not
    change the others' data), `ctx.shops`, `ctx.users` (role → list of users), `ctx.today`,
    `ctx.echo` (print a line) and `ctx.fresh` (True when the registry part was just loaded);
  - must be harmless when run again: return early when `not ctx.fresh`, or check its own data;
  - flushes, never commits; raise DomainError to abort the whole demo.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Complex, Shop, Street, User, today
from huishang.services import registry
from huishang.services.accounts import create_user
from huishang.services.reference import seed_reference_data
from huishang.services.registry import codes, uscc

from . import feedback, inspections, merchant

SEED = 20211
DEMO_STEPS: list[Callable] = [inspections.demo_step, feedback.demo_step, merchant.demo_step]

# username, password, role, scope description (printed), streets
LOGINS = (
    ("regulator", "regulator-demo", "regulator", "全区，区管理员 (district-wide, administrator)"),
    ("inspector1", "inspector-demo", "inspector", "徐家汇街道"),
    ("inspector2", "inspector-demo", "inspector", "徐家汇街道"),
    ("merchant", "merchant-demo", "merchant", "2 家店铺 (2 shops)"),
    ("property", "property-demo", "property", "港汇恒隆广场"),
)

# Street → (centre lat, centre lng, roads). Centres are inside Xuhui (31.13–31.22 N, 121.40–121.47 E).
STREETS = {
    "天平路街道": (31.2030, 121.4440, ("衡山路", "天平路", "宛平路", "建国西路")),
    "湖南路街道": (31.2140, 121.4440, ("湖南路", "武康路", "五原路", "复兴西路")),
    "斜土路街道": (31.1960, 121.4520, ("斜土路", "大木桥路", "东安路", "零陵路")),
    "枫林路街道": (31.1990, 121.4600, ("枫林路", "肇嘉浜路", "医学院路", "东安路")),
    "长桥街道": (31.1500, 121.4420, ("龙吴路", "罗秀路", "百色路", "长桥路")),
    "田林街道": (31.1760, 121.4210, ("田林路", "钦州路", "柳州路", "宜山路")),
    "虹梅路街道": (31.1700, 121.4060, ("虹梅路", "桂林路", "漕宝路", "古宜路")),
    "康健新村街道": (31.1630, 121.4220, ("康健路", "桂林路", "宜山路", "浦北路")),
    "徐家汇街道": (31.1925, 121.4370, ("漕溪北路", "天钥桥路", "虹桥路", "肇嘉浜路", "华山路")),
    "凌云路街道": (31.1550, 121.4290, ("凌云路", "梅陇路", "龙川北路", "老沪闵路")),
    "龙华街道": (31.1770, 121.4510, ("龙华中路", "龙华西路", "宛平南路", "天钥桥南路")),
    "漕河泾街道": (31.1760, 121.4340, ("漕宝路", "钦州路", "田林东路", "漕溪路")),
    "华泾镇": (31.1360, 121.4500, ("华泾路", "龙吴路", "华发路", "关港路")),
}
SHOPS_PER_STREET = {"徐家汇街道": 46, "天平路街道": 28, "湖南路街道": 22, "漕河泾街道": 30, "田林街道": 28,
                    "龙华街道": 26, "长桥街道": 24, "康健新村街道": 24, "凌云路街道": 24, "虹梅路街道": 26,
                    "枫林路街道": 24, "斜土路街道": 22, "华泾镇": 20}
COMPLEXES = (
    ("港汇恒隆广场", "徐家汇街道", "徐汇区虹桥路1号", 31.1950, 121.4370),
    ("徐家汇中心", "徐家汇街道", "徐汇区虹桥路111号", 31.1945, 121.4395),
    ("美罗城", "徐家汇街道", "徐汇区肇嘉浜路1111号", 31.1930, 121.4380),
    ("日月光中心", "斜土路街道", "徐汇区漕溪北路595号", 31.1890, 121.4430),
    ("西岸梦中心", "龙华街道", "徐汇区瑞宁路111号", 31.1720, 121.4600),
)
# business type code → (weight, sign-name patterns); {x} is a trade name, {s} a surname.
TYPES = {
    "catering.dining": (12, ("{x}本帮菜", "{x}川菜馆", "{x}湘菜馆", "{s}家小馆", "{x}酒家", "{x}粤菜馆")),
    "catering.fast_food": (14, ("{x}快餐", "{s}记盖浇饭", "{x}兰州拉面", "{x}黄焖鸡米饭", "{x}麻辣烫")),
    "catering.snack": (10, ("{s}记生煎", "{x}小笼包", "{s}家馄饨", "{x}锅贴", "{s}阿姨葱油饼")),
    "catering.drinks": (8, ("{x}咖啡", "{x}茶饮", "{x}果汁吧", "{x}奶茶")),
    "catering.bakery": (5, ("{x}面包坊", "{x}烘焙工坊", "{x}西饼屋")),
    "catering.breakfast": (8, ("{s}记早餐", "{x}早点铺", "{x}大饼油条", "{x}包子铺")),
    "food_sales.supermarket": (4, ("{x}生活超市", "{x}购物中心超市", "{x}超市")),
    "food_sales.convenience": (8, ("{x}便利店", "{x}24小时便利")),
    "food_sales.fresh_market": (4, ("{x}菜市场", "{x}生鲜", "{x}水果生鲜")),
    "food_sales.imported_cold_chain": (2, ("{x}进口食品", "{x}冻品行")),
    "group_meal.school_canteen": (3, ("{x}小学食堂", "{x}中学食堂", "{x}幼儿园食堂")),
    "group_meal.elderly_canteen": (1, ("{x}敬老院食堂", "{x}长者食堂")),
    "group_meal.hospital_canteen": (1, ("{x}医院职工食堂",)),
    "group_meal.company_canteen": (2, ("{x}科技园员工餐厅", "{x}大厦职工食堂")),
    "group_meal.central_kitchen": (1, ("{x}中央厨房",)),
    "group_meal.meal_distribution": (1, ("{x}团膳配送",)),
    "non_food.beauty": (6, ("{x}美发沙龙", "{x}美容院", "{s}师傅理发")),
    "non_food.clothing": (4, ("{x}服饰", "{x}鞋业")),
    "non_food.repair": (2, ("{x}家电维修", "{s}师傅修鞋配钥匙")),
    "non_food.pharmacy": (3, ("{x}大药房", "{x}药店")),
    "non_food.bathhouse": (1, ("{x}足浴", "{x}养生会所")),
    "non_food.other_retail": (3, ("{x}文具店", "{x}花店", "{x}五金店", "{x}眼镜店")),
}
INDUSTRY = {"catering": "餐饮管理", "food_sales": "商贸", "group_meal": "餐饮服务", "non_food": "服务"}
TRADE = ("鑫源", "瑞禾", "嘉和", "恒佳", "福临", "禾润", "盛隆", "永新", "华悦", "良友", "百味", "德兴",
         "和记", "康乐", "旭日", "锦程", "启明", "润泽", "宏运", "梧桐", "衡山", "南丹", "天钥", "蒲汇",
         "龙华", "漕溪", "西岸", "汇金", "家和", "金穗", "新绿", "晨光", "满福", "悦来", "聚丰", "丰泽")
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
            "何", "林", "罗", "高", "沈", "陆", "顾", "钱", "蒋")
GIVEN = ("建国", "丽华", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "文斌", "海燕", "志强", "晓燕", "国庆")
BREAKFAST = ("大饼、油条、粢饭、豆浆", "生煎、咖喱牛肉粉丝汤", "小笼包、柴爿馄饨", "三明治、咖啡、牛奶",
             "肉包、菜包、豆浆、茶叶蛋", "葱油饼、豆腐花", "粢饭团、甜豆浆", "阳春面、荷包蛋")
HOURS = {"catering": "10:00-21:30", "food_sales": "07:00-22:00", "group_meal": "06:30-19:00",
         "non_food": "09:30-21:00"}
STATUS_ROLL = (("open", 0.95), ("suspended", 0.03), ("closed", 0.02))
CLOSE_REASONS = ("歇业", "迁出本区", "经营者申请注销", "营业执照被吊销")


@dataclass
class DemoContext:
    rng: random.Random
    fresh: bool
    today: date
    shops: list[Shop] = field(default_factory=list)
    users: dict[str, list[User]] = field(default_factory=dict)
    echo: Callable[[str], None] = click.echo


def load_demo(echo: Callable[[str], None] = click.echo) -> DemoContext:
    """Load the demo district unless it is there already, then run DEMO_STEPS. Flushes only."""
    seed_reference_data()
    fresh = db.session.scalar(select(User.id).where(User.username == LOGINS[0][0])) is None
    # A seeded, reproducible generator on purpose: this is demo data, not a secret.
    ctx = DemoContext(rng=random.Random(SEED), fresh=fresh, today=today(), echo=echo)  # noqa: S311
    if fresh:
        build_registry(ctx)
    else:
        ctx.shops = list(db.session.scalars(select(Shop).order_by(Shop.id)))
        for username, _pw, role, _scope in LOGINS:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is not None:
                ctx.users.setdefault(role, []).append(user)
    for function in DEMO_STEPS:
        ctx.rng = random.Random(f"{SEED}:{function.__module__}.{function.__name__}")  # noqa: S311
        function(ctx)
        db.session.flush()
    return ctx


# -- the registry part ----------------------------------------------------------------------

def build_registry(ctx: DemoContext) -> None:
    rng = ctx.rng
    streets = {s.name: s for s in db.session.scalars(select(Street))}
    chains = make_chains(rng)
    used_names: set[str] = set()
    to_close: list[Shop] = []
    places = [(street_name, None, None) for street_name, count in SHOPS_PER_STREET.items()
              for _ in range(count)]
    for name, street_name, address, lat, lng in COMPLEXES:
        cx = add_complex(name, street_name, address, streets)
        places += [(street_name, cx, (lat, lng))] * rng.randint(5, 9)
    lookups = registry.Lookups.load()
    for street_name, cx, point in places:
        shop, close = add_shop(ctx, street_name, lookups, chains, used_names, cx, point)
        ctx.shops.append(shop)
        if close:
            to_close.append(shop)
    close_some(ctx, to_close)
    add_users(ctx)


def add_complex(name, street_name, address, streets) -> Complex:
    cx = db.session.scalar(select(Complex).where(Complex.name == name))
    if cx is None:
        cx = Complex(name=name, address=address, street=streets[street_name])
        db.session.add(cx)
        db.session.flush()
    return cx


def make_chains(rng) -> dict[str, tuple[str, str, str]]:
    """A few entities that run several shops (chains, multi-address filing): uscc, name, brand."""
    return {"catering.bakery": (company_uscc(rng), "上海麦香园烘焙食品有限公司", "麦香园"),
            "food_sales.convenience": (company_uscc(rng), "上海好邻里便利连锁有限公司", "好邻里"),
            "non_food.pharmacy": (company_uscc(rng), "上海汇康大药房连锁有限公司", "汇康")}


def company_uscc(rng) -> str:
    body = "91310104" + "".join(rng.choice(uscc.ALPHABET) for _ in range(9))
    return body + uscc.check_character(body)


def plate_code(rng) -> str:
    body = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.RANDOM_LENGTH))
    return body + codes.check_character(body)


def person(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def phone(rng) -> str:
    if rng.random() < 0.25:
        return f"021-{rng.choice('56')}{rng.randint(1000000, 9999999)}"
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def pick_type(rng, complex_) -> str:
    names = list(TYPES)
    weights = [TYPES[n][0] for n in names]
    while True:
        code = rng.choices(names, weights)[0]
        if complex_ is None or not code.startswith("group_meal."):
            return code


def add_shop(ctx: DemoContext, street_name: str, lookups, chains, used_names: set, complex_=None,
             point=None) -> tuple[Shop, bool]:
    """Register one shop; returns it and whether the demo closes it afterwards."""
    rng = ctx.rng
    type_code = pick_type(rng, complex_)
    family = type_code.split(".")[0]
    trade, surname = rng.choice(TRADE), rng.choice(SURNAMES)
    pattern = rng.choice(TYPES[type_code][1])
    sign = pattern.format(x=trade, s=surname)
    lat0, lng0, roads = STREETS[street_name]
    road = rng.choice(roads)
    if complex_ is not None:
        lat0, lng0 = point
        address = f"{complex_.address} {rng.choice(('B1', 'L1', 'L2', 'L3', 'L5'))}-{rng.randint(1, 60):02d}"
        spread = 0.0004
    else:
        address = f"徐汇区{road}{rng.randint(1, 1200)}号"
        spread = 0.0055
    if type_code in chains and "{x}" in pattern and rng.random() < 0.6:
        entity_uscc, entity_name, brand = chains[type_code]
        sign = f"{pattern.format(x=brand, s=surname)}（{complex_.name if complex_ else road}店）"
    elif family == "group_meal" or rng.random() < 0.45:
        entity_uscc, entity_name = company_uscc(rng), company_name(rng, trade, family, used_names)
    else:  # 个体工商户
        entity_uscc, entity_name = uscc.generate(rng), f"徐汇区{sign}（个体工商户）"
    registered = ctx.today - timedelta(days=rng.choice((rng.randint(1, 29), rng.randint(30, 3650),
                                                        rng.randint(200, 3000))))
    data = {
        "code": plate_code(rng), "uscc": entity_uscc, "entity_name": entity_name, "legal_rep": person(rng),
        "sign_name": sign, "address": address, "street": street_name, "business_type": type_code,
        "complex": complex_.name if complex_ else "",
        "lat": round(min(31.22, max(31.13, rng.gauss(lat0, spread))), 6),
        "lng": round(min(121.47, max(121.40, rng.gauss(lng0, spread))), 6),
        "contact": person(rng), "phone": phone(rng), "opening_hours": HOURS[family],
        "registered_on": registered.isoformat(), "cold_chain": cold_chain(rng, type_code),
    }
    data.update(licence(rng, ctx.today, family, entity_uscc))
    data.update(breakfast(rng, type_code))
    status = rng.choices([s for s, _ in STATUS_ROLL], [w for _, w in STATUS_ROLL])[0]
    if status == "suspended":
        data["status"] = "suspended"
    return registry.register_shop(data, lookups=lookups), status == "closed"


def company_name(rng, trade: str, family: str, used: set[str]) -> str:
    name = f"上海{trade}{INDUSTRY[family]}有限公司"
    while name in used:
        name = f"上海{rng.choice(TRADE)}{rng.choice(TRADE)}{INDUSTRY[family]}有限公司"
    used.add(name)
    return name


def cold_chain(rng, type_code: str) -> bool:
    chance = {"food_sales.imported_cold_chain": 1.0, "food_sales.fresh_market": 0.8,
              "food_sales.supermarket": 0.7, "catering.dining": 0.3, "group_meal.central_kitchen": 1.0,
              "food_sales.convenience": 0.2}.get(type_code, 0.0)
    return rng.random() < chance


def licence(rng, on: date, family: str, entity_uscc: str) -> dict:
    roll = rng.random()
    if roll < 0.09:  # expiring within the next 30 days: reminders and the dashboard have work
        expires = on + timedelta(days=rng.randint(1, 30))
    elif roll < 0.11:
        expires = on - timedelta(days=rng.randint(1, 60))
    else:
        expires = on + timedelta(days=rng.randint(60, 5 * 365))
    if family == "non_food":
        return {"licence_no": entity_uscc, "licence_expires": expires.isoformat()}
    return {"licence_no": f"JY{rng.choice('123')}310104{rng.randint(10000000, 99999999)}",
            "licence_expires": expires.isoformat()}


def breakfast(rng, type_code: str) -> dict:
    chance = {"catering.breakfast": 1.0, "catering.snack": 0.5, "catering.bakery": 0.5,
              "food_sales.convenience": 0.4, "catering.fast_food": 0.2}.get(type_code, 0.0)
    if rng.random() >= chance:
        return {}
    return {"serves_breakfast": True, "breakfast_spend": rng.choice((6, 8, 10, 12, 15, 18, 25)),
            "breakfast_wait": rng.choice((2, 3, 5, 8, 10, 15)), "breakfast_offer": rng.choice(BREAKFAST),
            "breakfast_hours": rng.choice(("06:00-09:30", "06:30-10:00", "07:00-10:00"))}


def close_some(ctx: DemoContext, shops: list[Shop]) -> None:
    for shop in shops:
        closed_on = ctx.today - timedelta(days=ctx.rng.randint(5, 200))
        registry.close_shop(shop, reason=ctx.rng.choice(CLOSE_REASONS), on=max(closed_on, shop.registered_on))


def add_users(ctx: DemoContext) -> None:
    xujiahui = [s for s in ctx.shops if s.street.name == "徐家汇街道" and s.status == "open"
                and s.complex_id is None]
    by_entity: dict[int, list[Shop]] = {}
    for shop in xujiahui:
        by_entity.setdefault(shop.entity_id, []).append(shop)
    pair = next((shops[:2] for shops in by_entity.values() if len(shops) >= 2), xujiahui[:2])
    names = {"regulator": "区市场监管局 周敏", "inspector1": "执法人员 陈磊", "inspector2": "执法人员 顾海燕",
             "merchant": f"经营者 {pair[0].contact}", "property": "港汇恒隆广场物业 林涛"}
    for username, password, role, _scope in LOGINS:
        user = create_user(  # the district regulator is the demo's administrator (accounts page)
            username, "admin" if role == "regulator" else role, password, display_name=names[username],
            streets=("徐家汇街道",) if role == "inspector" else (),
            shops=[s.code for s in pair] if role == "merchant" else (),
            complex_name="港汇恒隆广场" if role == "property" else None)
        ctx.users.setdefault(role, []).append(user)


def login_lines() -> list[str]:
    lines = ["演示账号 (demo logins):"]
    for username, password, role, scope in LOGINS:
        lines.append(f"  {role:<10} {username:<11} 密码 {password:<15} {scope}")
    return lines
