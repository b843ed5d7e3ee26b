"""Demo data: 26 regional offices, their staff, ~300 customer files and 2,400 units.

:func:`build_plan` turns a seed and a date into plain data (no database), so the
same seed gives the same demo; :func:`seed` writes that plan in one transaction,
with a "create" audit entry per row as the user ``demo`` (what ``save()`` would
write, in bulk: see :func:`_bulk_create`), so the customer files' timelines are
filled. Dates are drawn relative to ``today`` (the day of seeding) so that the
demo always holds units in and out of warranty.

``seed`` is idempotent: once the demo offices exist it writes nothing more, except
units up to ``units`` (``backoffice demo --units N``), which are added in bulk (see
:func:`add_units`). Production refuses demo data.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from peewee import fn

from .db import acting_as, current_actor, database, is_postgres
from .models.base import utcnow
from .services.warranty import standard_warranty_period

SEED = 20260101
#: the repository's term sheets, published with the demo when present
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
#: units the demo holds unless ``--units`` asks otherwise
DEFAULT_UNITS = 2400
#: the demo's accounts: one per role, each with its role's fixed password
PASSWORDS = {
    "admin": "demo-admin-2026",
    "hq": "demo-hq-2026",
    "office_manager": "demo-manager-2026",
    "engineer": "demo-engineer-2026",
    "viewer": "demo-viewer-2026",
}


class DemoRefused(Exception):
    """The demo may not be written here (production, or a database holding other data)."""


# -- geography -------------------------------------------------------------------
# Real cities with their real coordinates (city centre, WGS84), by province.

CITIES_TEXT = """
黑龙江省 哈尔滨 45.8038 126.5350|大庆 46.5907 125.1040|齐齐哈尔 47.3543 123.9182|牡丹江 44.5518 129.6332|佳木斯 46.7999 130.3189|绥化 46.6374 126.9688
吉林省 长春 43.8171 125.3235|吉林 43.8378 126.5494|四平 43.1664 124.3504|延吉 42.8911 129.5089|松原 45.1411 124.8250
辽宁省 沈阳 41.8057 123.4315|大连 38.9140 121.6147|鞍山 41.1087 122.9946|抚顺 41.8808 123.9573|锦州 41.0951 121.1270|丹东 40.0005 124.3545|营口 40.6670 122.2350
北京市 北京 39.9042 116.4074
天津市 天津 39.0842 117.2010
河北省 石家庄 38.0428 114.5149|保定 38.8739 115.4646|唐山 39.6309 118.1802|邯郸 36.6256 114.5391|廊坊 39.5380 116.6838|张家口 40.7674 114.8863|沧州 38.3044 116.8388|秦皇岛 39.9354 119.6005
山西省 太原 37.8706 112.5489|大同 40.0769 113.3001|长治 36.1953 113.1163|临汾 36.0880 111.5190|运城 35.0263 111.0070
内蒙古自治区 呼和浩特 40.8424 111.7491|包头 40.6574 109.8403|鄂尔多斯 39.6086 109.7810|赤峰 42.2578 118.8869
山东省 济南 36.6512 117.1201|青岛 36.0671 120.3826|烟台 37.4638 121.4479|潍坊 36.7069 119.1618|淄博 36.8131 118.0548|临沂 35.1046 118.3564|济宁 35.4146 116.5872|泰安 36.2000 117.0875
江苏省 南京 32.0603 118.7969|苏州 31.2990 120.5853|无锡 31.4912 120.3119|常州 31.8107 119.9741|南通 31.9802 120.8943|徐州 34.2058 117.2841|扬州 32.3942 119.4129|盐城 33.3476 120.1614
上海市 上海 31.2304 121.4737
浙江省 杭州 30.2741 120.1551|宁波 29.8683 121.5440|温州 27.9938 120.6994|绍兴 29.9958 120.5861|嘉兴 30.7469 120.7555|金华 29.0790 119.6474|台州 28.6564 121.4208|湖州 30.8930 120.0868
安徽省 合肥 31.8206 117.2272|芜湖 31.3525 118.4331|蚌埠 32.9163 117.3889|安庆 30.5430 117.0637|马鞍山 31.6705 118.5064|阜阳 32.8900 115.8142
福建省 福州 26.0745 119.2965|厦门 24.4798 118.0894|泉州 24.8741 118.6757|漳州 24.5130 117.6471|莆田 25.4540 119.0078|龙岩 25.0751 117.0174
江西省 南昌 28.6829 115.8579|九江 29.7050 116.0019|赣州 25.8310 114.9336|上饶 28.4551 117.9434|宜春 27.8143 114.4164
河南省 郑州 34.7466 113.6254|洛阳 34.6197 112.4540|开封 34.7973 114.3076|新乡 35.3030 113.9268|南阳 32.9908 112.5283|安阳 36.0976 114.3925|许昌 34.0357 113.8523
湖北省 武汉 30.5928 114.3055|宜昌 30.6919 111.2865|襄阳 32.0090 112.1224|荆州 30.3348 112.2397|黄石 30.1995 115.0389|十堰 32.6292 110.7980
湖南省 长沙 28.2282 112.9388|株洲 27.8274 113.1340|湘潭 27.8297 112.9440|衡阳 26.8934 112.5720|岳阳 29.3572 113.1289|常德 29.0316 111.6985
广东省 广州 23.1291 113.2644|深圳 22.5431 114.0579|佛山 23.0215 113.1214|东莞 23.0205 113.7518|珠海 22.2710 113.5767|汕头 23.3541 116.6820|惠州 23.1115 114.4161|湛江 21.2707 110.3594|江门 22.5787 113.0815|肇庆 23.0469 112.4651|中山 22.5176 113.3926|韶关 24.8104 113.5972
广西壮族自治区 南宁 22.8170 108.3665|柳州 24.3264 109.4281|桂林 25.2736 110.2900|北海 21.4813 109.1202|玉林 22.6545 110.1810
海南省 海口 20.0440 110.1999|三亚 18.2528 109.5119
重庆市 重庆 29.5630 106.5516|万州 30.8078 108.4089|涪陵 29.7032 107.3895
四川省 成都 30.5728 104.0668|绵阳 31.4675 104.6796|德阳 31.1270 104.3979|宜宾 28.7513 104.6417|南充 30.8373 106.1107|泸州 28.8717 105.4423|乐山 29.5521 103.7656|攀枝花 26.5823 101.7186
贵州省 贵阳 26.6470 106.6302|遵义 27.7256 106.9272|六盘水 26.5927 104.8303|安顺 26.2456 105.9476
云南省 昆明 24.8801 102.8329|曲靖 25.4900 103.7962|玉溪 24.3520 102.5430|大理 25.6065 100.2676|蒙自 23.3968 103.3649
陕西省 西安 34.3416 108.9398|咸阳 34.3296 108.7093|宝鸡 34.3619 107.2373|渭南 34.4994 109.5099|榆林 38.2852 109.7346|延安 36.5853 109.4897|汉中 33.0677 107.0236
甘肃省 兰州 36.0611 103.8343|天水 34.5809 105.7249|白银 36.5447 104.1389|酒泉 39.7326 98.4945|张掖 38.9259 100.4498|嘉峪关 39.7732 98.2893
青海省 西宁 36.6171 101.7782
宁夏回族自治区 银川 38.4872 106.2309|石嘴山 39.0133 106.3762
新疆维吾尔自治区 乌鲁木齐 43.8256 87.6168|克拉玛依 45.5799 84.8892|石河子 44.3060 86.0411|昌吉 44.0114 87.3082|吐鲁番 42.9513 89.1895|库尔勒 41.7259 86.1746|哈密 42.8185 93.5151|伊宁 43.9167 81.3242|喀什 39.4704 75.9898
西藏自治区 拉萨 29.6520 91.1721
"""


@dataclass(frozen=True)
class City:
    name: str
    province: str
    lat: float
    lon: float


def _parse_cities() -> dict[str, City]:
    cities = {}
    for line in CITIES_TEXT.strip().splitlines():
        province, rest = line.split(" ", 1)
        for entry in rest.split("|"):
            name, lat, lon = entry.split()
            cities[name] = City(name, province, float(lat), float(lon))
    return cities


CITIES = _parse_cities()

#: the 26 offices: code (the city's airport code), city, telephone area code, customers
OFFICES = [
    ("PEK", "北京", "010", 18), ("SHA", "上海", "021", 18), ("CAN", "广州", "020", 16),
    ("SZX", "深圳", "0755", 16), ("CTU", "成都", "028", 12), ("CKG", "重庆", "023", 12),
    ("WUH", "武汉", "027", 12), ("XIY", "西安", "029", 12), ("NKG", "南京", "025", 12),
    ("HGH", "杭州", "0571", 12), ("HRB", "哈尔滨", "0451", 10), ("SHE", "沈阳", "024", 10),
    ("CGQ", "长春", "0431", 10), ("TNA", "济南", "0531", 10), ("HFE", "合肥", "0551", 10),
    ("FOC", "福州", "0591", 10), ("KHN", "南昌", "0791", 10), ("CSX", "长沙", "0731", 10),
    ("CGO", "郑州", "0371", 10), ("TYN", "太原", "0351", 10), ("SJW", "石家庄", "0311", 10),
    ("KMG", "昆明", "0871", 10), ("KWE", "贵阳", "0851", 10), ("NNG", "南宁", "0771", 10),
    ("URC", "乌鲁木齐", "0991", 10), ("LHW", "兰州", "0931", 10),
]
OFFICE_CODES = tuple(code for code, *_ in OFFICES)

MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
DISTRICTS = ("高新区", "经济开发区", "工业园区", "新城区", "城东区", "城西区", "城南区", "城北区")
ROADS = ("人民路", "解放路", "中山路", "建设路", "科技路", "工业大道", "新华路", "长江路",
         "黄河路", "高新大道", "创业路", "文化路", "迎宾大道", "发展大道", "和平路", "光明路")


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """Haversine distance on a 6371 km sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _address(rng: random.Random, city: City) -> str:
    road = f"{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
    if city.province in MUNICIPALITIES:
        if city.province.startswith(city.name):
            return f"{city.province}{road}"
        return f"{city.province}{city.name}区{road}"
    return f"{city.province}{city.name}市{road}"


# -- people ----------------------------------------------------------------------

def _pairs(text: str) -> dict[str, str]:
    """``"王:wang 李:li"`` -> ``{"王": "wang", "李": "li"}``: characters and their pinyin."""
    return dict(pair.split(":") for pair in text.split())


SURNAMES = _pairs("""
王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou
徐:xu 孙:sun 马:ma 朱:zhu 胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng
梁:liang 谢:xie 宋:song 唐:tang 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng
肖:xiao 田:tian 董:dong 袁:yuan 潘:pan 蒋:jiang 蔡:cai 杜:du 叶:ye 程:cheng
苏:su 魏:wei 丁:ding 任:ren 沈:shen""")
GIVEN = _pairs("""
伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang
勇:yong 艳:yan 杰:jie 娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping
刚:gang 英:ying 华:hua 建:jian 国:guo 志:zhi 海:hai 林:lin 文:wen 斌:bin 宇:yu
浩:hao 凯:kai 鹏:peng 辉:hui 鑫:xin 波:bo 宁:ning 晨:chen 婷:ting 雪:xue 琳:lin
欣:xin 思:si 佳:jia 俊:jun 峰:feng 亮:liang 东:dong 红:hong 玉:yu 兰:lan 梅:mei
丹:dan 晓:xiao 振:zhen 永:yong 德:de 春:chun 立:li 新:xin 宏:hong 健:jian 博:bo
毅:yi 飞:fei 云:yun 嘉:jia 昊:hao 天:tian 怡:yi 慧:hui 颖:ying 倩:qian 瑞:rui
泽:ze 松:song 卫:wei 庆:qing 桂:gui""")
SKILLS = ("ups", "battery", "rectifier", "hvdc", "inverter", "substation-dc", "sts",
          "eps", "commissioning", "monitoring", "training")
CONTACT_TITLES = ("设备科科长", "运维主管", "机房经理", "总工程师", "采购经理", "动力专责",
                  "信息中心主任", "安全部经理", "值班长")

#: the demo's named accounts (one per role) and the rest of headquarters
KEY_STAFF = [
    # name, username, role, office code (None: headquarters), skills
    ("陈志强", "admin", "admin", None, "training"),
    ("王建国", "wangjianguo", "hq", None, "ups, hvdc, training"),
    ("刘海涛", "liuhaitao", "office_manager", "HRB", "ups, battery, commissioning"),
    ("赵明", "zhaoming", "engineer", "HRB", "ups, battery, rectifier"),
    ("孙丽", "sunli", "viewer", None, ""),
    ("周晓梅", "zhouxiaomei", "hq", None, "monitoring, training"),
    ("郭振华", "guozhenhua", "hq", None, "substation-dc, inverter"),
    ("林静", "linjing", "viewer", "SHA", ""),
]


def _person(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """A Chinese name and its pinyin login, unique within ``taken``."""
    surname = rng.choice(list(SURNAMES))
    chars = rng.sample(list(GIVEN), rng.choice((1, 2, 2)))
    name = surname + "".join(chars)
    login = SURNAMES[surname] + "".join(GIVEN[c] for c in chars)
    candidate, n = login, 1
    while candidate in taken:
        n += 1
        candidate = f"{login}{n}"
    taken.add(candidate)
    return name, candidate


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


# -- catalogue and customers -------------------------------------------------------

#: model, name, grade, design life (years), standard warranty (months), list price (CNY)
PRODUCTS = [
    ("UPS-HP10", "在线式UPS 10 kVA", "commercial", 10, 24, 28_000),
    ("UPS-HP60", "工频在线式UPS 60 kVA", "industrial", 12, 36, 135_000),
    ("UPS-MD200", "模块化UPS 200 kVA", "data-centre", 15, 36, 420_000),
    ("UPS-MD600", "模块化UPS 600 kVA", "data-centre", 15, 36, 1_150_000),
    ("BAT-VR200", "阀控式铅酸蓄电池组 2V 200Ah×24", "commercial", 8, 24, 65_000),
    ("BAT-LFP100", "磷酸铁锂储能电池柜 100 kWh", "industrial", 12, 60, 210_000),
    ("REC-48300", "通信用高频开关电源 -48V/300A", "telecom", 15, 24, 75_000),
    ("HVDC-240", "240V高压直流供电系统", "data-centre", 15, 36, 320_000),
    ("DCS-220", "变电站直流电源系统 220V", "industrial", 15, 36, 180_000),
    ("INV-PV100", "光伏并网逆变器 100 kW", "industrial", 20, 60, 95_000),
    ("INV-IN10", "工业逆变电源 10 kVA", "industrial", 12, 24, 45_000),
    ("STS-250", "静态转换开关 250A", "data-centre", 15, 24, 68_000),
    ("EPS-30", "应急电源EPS 30 kW", "commercial", 10, 12, 52_000),
]

BRANDS = ("宏远", "华信", "恒通", "中科", "瑞达", "金桥", "天成", "启明", "鼎盛", "汇智",
          "远航", "新元", "泰和", "联创", "正泰", "永安")
#: industry: (weight, name patterns, site kinds, products it buys)
INDUSTRIES = {
    "power": (18, ("{c}供电公司", "{c}{b}热电有限责任公司", "{c}{b}新能源发电有限公司",
                   "{c}电力调度控制中心", "{c}{b}能源集团有限公司", "{c}{b}风电运营有限公司"),
              ("110kV变电站", "220kV变电站", "调度中心", "热电厂", "光伏电站"),
              ("DCS-220", "UPS-HP60", "BAT-VR200", "INV-PV100", "INV-IN10")),
    "telecom": (16, ("{c}{b}信息通信网络有限公司", "{c}广电网络有限公司",
                     "{c}{b}通信传输有限公司", "{c}{b}数字通信发展有限公司"),
                ("核心机房", "汇聚机房", "通信枢纽楼", "基站集中机房"),
                ("REC-48300", "BAT-VR200", "HVDC-240", "UPS-HP10")),
    "rail": (8, ("{c}轨道交通集团有限公司", "{c}地铁运营有限公司", "{c}{b}城际铁路有限公司"),
             ("控制中心", "车辆段", "信号楼", "主变电所"),
             ("UPS-HP60", "BAT-VR200", "DCS-220", "EPS-30")),
    "water": (10, ("{c}自来水有限公司", "{c}水务集团有限公司", "{c}排水管理有限公司",
                   "{c}{b}供水有限公司"),
              ("第一水厂", "第二水厂", "加压泵站", "污水处理厂"),
              ("UPS-HP10", "UPS-HP60", "BAT-VR200", "EPS-30")),
    "petrochemical": (8, ("{c}{b}石化有限公司", "{c}{b}炼化有限公司",
                          "{c}{b}天然气储运有限公司", "{c}{b}精细化工有限公司"),
                      ("炼油厂区", "储运站", "中控室", "化工园区变电所"),
                      ("UPS-HP60", "DCS-220", "BAT-VR200", "STS-250", "INV-IN10")),
    "data centre": (14, ("{c}{b}云计算数据中心有限公司", "{c}{b}大数据产业发展有限公司",
                         "{c}{b}智算中心运营有限公司", "{c}{b}数据港科技有限公司"),
                    ("A栋机房", "B栋机房", "数据中心园区", "灾备机房"),
                    ("UPS-MD200", "UPS-MD600", "HVDC-240", "BAT-LFP100", "STS-250")),
    "healthcare": (12, ("{c}市第一人民医院", "{c}市中心医院", "{c}市中医院",
                        "{c}市妇幼保健院", "{c}医科大学附属医院", "{c}市第二人民医院"),
                   ("门诊楼", "住院部", "信息中心", "手术中心"),
                   ("UPS-HP10", "UPS-MD200", "EPS-30", "BAT-VR200", "STS-250")),
    "finance": (7, ("{c}农村商业银行", "{c}{b}银行股份有限公司", "{c}{b}证券数据中心",
                    "{c}{b}保险运营中心"),
                ("数据中心", "灾备中心", "营业大楼"),
                ("UPS-MD200", "UPS-HP60", "BAT-VR200", "STS-250")),
    "manufacturing": (7, ("{c}{b}精密机械有限公司", "{c}{b}汽车零部件有限公司",
                          "{c}{b}电子科技有限公司", "{c}{b}新材料有限公司"),
                      ("一号厂房", "二号厂房", "动力站房", "研发楼"),
                      ("UPS-HP60", "INV-PV100", "BAT-LFP100", "UPS-HP10")),
}


# -- the plan ------------------------------------------------------------------------

@dataclass
class Plan:
    """The whole demo as plain data; rows refer to each other by natural keys."""
    offices: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)      # "customer": code, "key": (code, n)
    contacts: list[dict] = field(default_factory=list)
    contracts: list[dict] = field(default_factory=list)  # "customer": code
    units: list[dict] = field(default_factory=list)      # "contract", "product", "site" keys


def _bands(office: City) -> tuple[list, list, list]:
    """Catalogue cities within 100 km, 100-500 km and beyond 500 km of ``office``."""
    near, mid, far = [], [], []
    for city in CITIES.values():
        d = great_circle_km(office.lat, office.lon, city.lat, city.lon)
        if city.name == office.name:
            continue
        (near if d < 100 else mid if d <= 500 else far).append((d, city))
    far.sort(key=lambda pair: pair[0])
    return [c for _, c in near], [c for _, c in mid], [c for _, c in far[:8]]


def _nearest_office(city: City) -> str:
    """The city of the office nearest to ``city``."""
    return min((great_circle_km(city.lat, city.lon, CITIES[name].lat, CITIES[name].lon), name)
               for _, name, *_ in OFFICES)[1]


def _unit_dates(rng: random.Random, signed_on: dt.date, today: dt.date):
    """(installed_on, accepted_on, status) for a unit sold on ``signed_on``.

    Written with ``rng.random()`` only: the bulk path calls it a million times.
    """
    installed = signed_on + dt.timedelta(days=30 + int(rng.random() * 121))
    if installed > today:
        return None, None, "ordered" if rng.random() < 0.5 else "delivered"
    accepted = installed + dt.timedelta(days=7 + int(rng.random() * 39))
    if accepted > today:
        return installed, None, "installed"
    roll = rng.random()
    if roll < 0.04:
        status = "under_repair"
    elif roll < 0.06:
        status = "replaced"
    elif roll < 0.06 + 0.02 * (today - accepted).days / 365:  # older units retire
        status = "retired"
    else:
        status = "in_service"
    return installed, accepted, status


def build_plan(today: dt.date, units: int = DEFAULT_UNITS, seed: int = SEED) -> Plan:
    """The demo for ``today``: the same arguments always give the same plan."""
    rng = random.Random(seed)
    plan = Plan()

    for code, city_name, area, _ in OFFICES:
        city = CITIES[city_name]
        plan.offices.append({
            "code": code, "name": f"{city.name}办事处", "city": city.name, "province": city.province,
            "address": _address(rng, city),
            "phone": f"{area}-{rng.randint(5, 8)}{rng.randint(0, 9999999):07d}"[:len(area) + 9],
            "latitude": Decimal(f"{city.lat:.6f}"), "longitude": Decimal(f"{city.lon:.6f}")})

    # staff: the named accounts, then a manager and 2-3 engineers per office
    taken = {login for _, login, *_ in KEY_STAFF}
    for name, login, role, office, skills in KEY_STAFF:
        plan.staff.append({"name": name, "username": login, "role": role, "office": office,
                               "skills": skills})
    named = [(role, office) for _, _, role, office, _ in KEY_STAFF]
    for code, *_ in OFFICES:
        people = [] if ("office_manager", code) in named else ["office_manager"]
        people += ["engineer"] * (rng.choice((2, 3, 3)) - named.count(("engineer", code)))
        for role in people:
            name, login = _person(rng, taken)
            skills = ", ".join(sorted(rng.sample(SKILLS, rng.randint(2, 4))))
            plan.staff.append({"name": name, "username": login, "role": role, "office": code,
                                   "skills": skills})
    for person in plan.staff:
        person["phone"] = _mobile(rng)
        person["email"] = f"{person['username']}@service.example.cn"

    for model, name, grade, life, months, price in PRODUCTS:
        plan.products.append({"model": model, "name": name, "grade": grade,
                                  "design_life_years": life, "warranty_months": months,
                                  "notes": f"list price CNY {price:,}"})
    price = {model: p for model, *_, p in PRODUCTS}

    industries = list(INDUSTRIES)
    weights = [INDUSTRIES[i][0] for i in industries]
    names_taken: set[str] = set()
    contracts_by_customer: dict[str, list[dict]] = {}
    for office_code, office_city, _, count in OFFICES:
        home = CITIES[office_city]
        near, mid, far = _bands(home)
        # customers are based in the office's city or in a city nearer to it than to any
        # other office; their other sites may be anywhere in the three distance bands
        local = [c for c in near + mid if _nearest_office(c) == home.name]
        for n in range(1, count + 1):
            industry = rng.choices(industries, weights)[0]
            _, patterns, kinds, buys = INDUSTRIES[industry]
            city = home if rng.random() < 0.65 or not local else rng.choice(local)
            for _attempt in range(20):
                name = rng.choice(patterns).format(c=city.name, b=rng.choice(BRANDS))
                if name not in names_taken:
                    break
            else:
                name = f"{name}（{n}）"
            names_taken.add(name)
            code = f"C-{office_code}-{n:03d}"
            plan.customers.append({
                "code": code, "name": name, "industry": industry, "office": office_code,
                "notes": "重点客户" if rng.random() < 0.15 else ""})

            # sites: the first in the customer's city, others near, 100-500 km or far away
            site_cities = [city]
            for _ in range(rng.choice((0, 1, 1, 2))):
                band = rng.choices(("near", "mid", "far"), (50, 35, 15))[0]
                pool = {"near": near, "mid": mid, "far": far}[band] or mid or far
                site_cities.append(rng.choice(pool))
            for k, site_city in enumerate(site_cities, start=1):
                lat = site_city.lat + rng.uniform(-0.04, 0.04)
                lon = site_city.lon + rng.uniform(-0.04, 0.04)
                road = None
                if rng.random() < 0.4:
                    d = great_circle_km(home.lat, home.lon, lat, lon)
                    road = Decimal(f"{d * rng.uniform(1.15, 1.45):.1f}")
                plan.sites.append({
                    "customer": code, "key": (code, k),
                    "name": f"{site_city.name}{rng.choice(kinds)}",
                    "address": _address(rng, site_city), "city": site_city.name,
                    "province": site_city.province, "latitude": Decimal(f"{lat:.6f}"),
                    "longitude": Decimal(f"{lon:.6f}"), "road_distance_km": road})

            for _ in range(rng.randint(1, 3)):
                person, login = _person(rng, set())
                plan.contacts.append({
                    "customer": code, "name": person, "title": rng.choice(CONTACT_TITLES),
                    "phone": _mobile(rng), "email": f"{login}@{code.lower()}.example.cn"})

            contracts_by_customer[code] = []
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                signed = today - dt.timedelta(days=rng.randint(15, 6 * 365))
                age = (today - signed).days
                status = ("completed" if age > 3 * 365 and rng.random() < 0.7
                          else "terminated" if rng.random() < 0.03
                          else "draft" if age < 120 and rng.random() < 0.25
                          else "active")
                contract = {
                    "number": None,  # below: by office and year, in signing order
                    "customer": code, "signed_on": signed, "status": status,
                    "warranty_months": rng.choice((None,) * 8 + (36, 60)),
                    "products": rng.sample(buys, rng.randint(1, min(3, len(buys)))),
                    "sites": [(code, k) for k in range(1, len(site_cities) + 1)],
                    "weight": rng.choice((1, 1, 2, 3, 5, 8)), "value": Decimal(0),
                    "notes": ""}
                plan.contracts.append(contract)
                contracts_by_customer[code].append(contract)

    # key customers' contracts since the premium term sheet came out run on it
    key_customers = {c["code"] for c in plan.customers if c["notes"]}
    for contract in plan.contracts:
        contract["terms"] = ("premium" if contract["customer"] in key_customers
                             and contract["signed_on"].year >= today.year - 3 else None)

    # contract numbers: HT<year>-<office>-<nnn>, numbered in signing order
    numbered: dict[tuple[str, int], int] = {}
    office_of = {c["code"]: c["office"] for c in plan.customers}
    for contract in sorted(plan.contracts, key=lambda c: (c["signed_on"], c["customer"])):
        key = (office_of[contract["customer"]], contract["signed_on"].year)
        numbered[key] = numbered.get(key, 0) + 1
        contract["number"] = f"HT{key[1]}-{key[0]}-{numbered[key]:03d}"

    # units: spread over the contracts that were signed (drafts have none yet)
    selling = [c for c in plan.contracts if c["status"] != "draft"]
    cumulative, total = [], 0
    for contract in selling:
        total += contract["weight"]
        cumulative.append(total)
    for seq in range(1, units + 1):
        contract = rng.choices(selling, cum_weights=cumulative)[0]
        product = rng.choice(contract["products"])
        installed, accepted, status = _unit_dates(rng, contract["signed_on"], today)
        if contract["status"] == "terminated" and status in ("ordered", "delivered"):
            status = "delivered"
        plan.units.append({
            "serial": f"{product}-{contract['signed_on']:%y}{seq:07d}",
            "product": product, "contract": contract["number"],
            "site": rng.choice(contract["sites"]) if installed else None,
            "installed_on": installed, "accepted_on": accepted, "status": status})
        contract["value"] += Decimal(price[product])
    for contract in plan.contracts:
        if contract["value"] == 0:  # drafts and contracts without units: a quotation
            contract["value"] = Decimal(price[contract["products"][0]] * rng.randint(1, 4))
        contract["value"] = (contract["value"] * Decimal(rng.uniform(0.85, 1.15))
                             ).quantize(Decimal(100))
    return plan


# -- writing ---------------------------------------------------------------------

def _models():
    from . import models
    return models


def is_seeded() -> bool:
    """True once the 26 demo offices exist (a test world's two offices are not the demo)."""
    Office = _models().Office
    return Office.select().where(Office.code.in_(OFFICE_CODES)).count() == len(OFFICE_CODES)


def is_empty() -> bool:
    """True when no office, staff member or customer exists yet."""
    m = _models()
    return not any(model.select().exists() for model in (m.Office, m.Staff, m.Customer))


def _check_allowed(env: str) -> None:
    if env == "production":
        raise DemoRefused("demo data is not allowed when env = production")


@dataclass
class Result:
    created: bool
    units_added: int
    seconds: float
    counts: dict
    accounts: list


def counts() -> dict[str, int]:
    m = _models()
    return {model._meta.table_name: model.select().count()
            for model in (m.Office, m.Staff, m.Customer, m.Site, m.Contact, m.Contract,
                          m.Product, m.Unit, m.AuditEntry)}


def seed(env: str, units: int | None = None, today: dt.date | None = None,
         progress=None) -> Result:
    """Write the demo unless it is there; then add units in bulk up to ``units``."""
    _check_allowed(env)
    today = today or dt.date.today()
    started = time.perf_counter()
    database.connect(reuse_if_open=True)
    created = False
    if not is_seeded():
        if not is_empty():
            raise DemoRefused("the database holds records that are not the demo's; "
                              "the demo is only written to an empty database")
        plan = build_plan(today, min(units or DEFAULT_UNITS, DEFAULT_UNITS))
        write_plan(plan)
        created = True
    added = 0
    if units is not None:
        added = add_units(units, today, progress=progress)
    return Result(created, added, time.perf_counter() - started, counts(), accounts())


def accounts() -> list[tuple[str, str, str]]:
    """One (role, login, password) per role: the first named staff of each role."""
    seen, found = set(), []
    for _, login, role, *_ in KEY_STAFF:
        if role not in seen:
            seen.add(role)
            found.append((role, login, PASSWORDS[role]))
    return found


def insert_rows(model, fields: list, rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples of database values, in ``fields`` order) in few statements.

    A bulk path below peewee's query builder, which spends ~40 us of Python per
    value: SQLite gets the driver's ``executemany``, PostgreSQL a ``COPY ... FROM
    STDIN`` of the rows in text format (ten times faster than multi-row INSERTs).
    """
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    cursor = database.cursor()
    if is_postgres():
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_text(v) for v in row))
            buffer.write("\n")
        buffer.seek(0)
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)
    else:
        marks = ", ".join("?" * len(fields))
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (text.replace("\\", "\\\\").replace("\t", "\\t")
                .replace("\n", "\\n").replace("\r", "\\r"))
    return text


def _db_rows(model, rows: list[dict]) -> tuple[list, list[tuple]]:
    """(fields, tuples) for ``rows``: every column but the id, defaults filled in."""
    fields = [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]
    defaults = {}
    for f in fields:
        defaults[f.name] = f.default() if callable(f.default) else f.default
    return fields, [tuple(f.db_value(row.get(f.name, defaults[f.name])) for f in fields)
                    for row in rows]


def _bulk_create(model, rows: list[dict], *, office=None, customer=None) -> list[int]:
    """Insert ``rows`` and their "create" audit entries; returns the new ids in order.

    This writes what ``AuditedModel.save()`` would (the row, then an audit entry
    with every non-empty field, redacted fields masked), without the three to
    six queries per row that ``save()`` spends on validation: the plan is valid
    by construction (tests/test_demo.py checks it against the models' rules),
    and seeding 4,500 rows through ``save()`` took 15 s on SQLite. ``office`` and
    ``customer`` give the audit entry's office and customer file for a row.
    """
    m = _models()
    pk = model._meta.primary_key
    before = model.select(fn.MAX(pk)).scalar() or 0
    insert_rows(model, *_db_rows(model, rows))
    ids = [i for (i,) in model.select(pk).where(pk > before).order_by(pk).tuples()]
    if len(ids) != len(rows):
        raise DemoRefused(f"someone else wrote to {model._meta.table_name} during the seed")
    actor = current_actor()
    now = utcnow()
    entries = []
    for row_id, row in zip(ids, rows, strict=True):
        instance = model(**row)
        instance.__data__[pk.name] = row_id
        changes = {k: [None, v] for k, v in instance._values().items()
                   if v is not None and k != pk.name}
        for key in model.audit_redacted:
            if key in changes:
                changes[key] = [None, "***"]
        entries.append({
            "at": now, "actor": actor.name, "actor_staff": actor.staff_id,
            "table": model._meta.table_name, "row_id": row_id, "action": "create",
            "summary": str(instance)[:200],
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            "office": office(row_id, row) if office else None,
            "customer": customer(row_id, row) if customer else None})
    insert_rows(m.AuditEntry, *_db_rows(m.AuditEntry, entries))
    return ids


def publish_term_sheets() -> dict[str, int]:
    """Publish the repository's term sheets (``rules/*.toml``); returns name -> version id.

    Through the term sets' own ``publish`` (audited, versioned), so headquarters
    finds them in the admin; a sheet that does not load is left out, and so is
    everything when the package runs without its repository.
    """
    from .models import RuleViolation
    from .models.terms import publish
    from .terms import SheetError, parse_sheet

    published = {}
    for path in sorted(RULES_DIR.glob("*.toml")) if RULES_DIR.is_dir() else ():
        try:
            terms = parse_sheet(path.read_text(encoding="utf-8"), str(path))
            version = publish(terms, note=f"demo: loaded from rules/{path.name}")
        except (SheetError, RuleViolation, OSError):
            continue
        published[terms.name] = version.id
    return published


def write_plan(plan: Plan) -> None:
    """Write ``plan`` and its audit trail in one transaction, as the user ``demo``."""
    from werkzeug.security import generate_password_hash

    m = _models()
    # one hash per role: hashing is deliberately slow, and every account of a role
    # shares its role's demo password anyway
    hashes = {role: generate_password_hash(pw, method=m.Staff.password_method)
              for role, pw in PASSWORDS.items()}
    products = {p["model"]: p for p in plan.products}
    contract_months = {c["number"]: c["warranty_months"] for c in plan.contracts}
    with acting_as("demo"), database.atomic():
        ids = _bulk_create(m.Office, plan.offices, office=lambda i, row: i)
        offices = dict(zip((o["code"] for o in plan.offices), ids))

        rows = [{**row, "office": offices.get(row["office"]),
                 "password_hash": hashes[row["role"]], "session_epoch": 1}
                for row in plan.staff]
        _bulk_create(m.Staff, rows, office=lambda i, row: row["office"])

        ids = _bulk_create(m.Product, plan.products)
        product_ids = dict(zip(products, ids))

        rows = [{**row, "office": offices[row["office"]]} for row in plan.customers]
        ids = _bulk_create(m.Customer, rows, office=lambda i, row: row["office"],
                           customer=lambda i, row: i)
        customers = dict(zip((c["code"] for c in plan.customers), ids))
        office_of = {cid: row["office"] for cid, row in zip(ids, rows)}

        def office(i, row):
            return office_of[row["customer"]]

        def customer(i, row):
            return row["customer"]

        rows = [{**{k: v for k, v in row.items() if k != "key"},
                 "customer": customers[row["customer"]]} for row in plan.sites]
        ids = _bulk_create(m.Site, rows, office=office, customer=customer)
        sites = dict(zip((s["key"] for s in plan.sites), ids))

        rows = [{**row, "customer": customers[row["customer"]]} for row in plan.contacts]
        _bulk_create(m.Contact, rows, office=office, customer=customer)

        terms = publish_term_sheets()
        rows = [{**{k: row[k] for k in ("number", "signed_on", "status", "warranty_months",
                                       "value", "notes")},
                 "customer": customers[row["customer"]],
                 "term_set_version": terms.get(row["terms"])} for row in plan.contracts]
        ids = _bulk_create(m.Contract, rows, office=office, customer=customer)
        contracts = dict(zip((c["number"] for c in plan.contracts), ids))
        contract_customer = {cid: row["customer"] for cid, row in zip(ids, rows)}

        rows = []
        for row in plan.units:
            contract_id = contracts[row["contract"]]
            months = contract_months[row["contract"]]
            if months is None:
                months = products[row["product"]]["warranty_months"]
            start, end = standard_warranty_period(row["accepted_on"], months)
            rows.append({**row, "product": product_ids[row["product"]],
                         "contract": contract_id, "customer": contract_customer[contract_id],
                         "site": sites[row["site"]] if row["site"] else None,
                         "warranty_start": start, "warranty_end": end,
                         "warranty_by_hand": False})
        _bulk_create(m.Unit, rows, office=office, customer=customer)


def add_units(target: int, today: dt.date | None = None, *, chunk: int = 20000,
              progress=None, seed: int = SEED) -> int:
    """Add units in bulk until the demo has ``target``; returns how many were added.

    This is the benchmark path (``--units 1000000``): rows go in with multi-row
    inserts (:func:`insert_rows`), one transaction per ``chunk`` rows, warranty
    dates computed here with the rule ``Unit.save()`` applies
    (:func:`~backoffice.services.warranty.standard_warranty_period` from the
    contract's or else the product's warranty months). It writes no audit rows on purpose:
    the audit trail records what people did, and a million synthetic rows would
    double the writes and the time while telling nobody anything. Each chunk
    commits, so an interrupted run keeps its progress and a rerun completes it.
    """
    m = _models()
    Unit = m.Unit
    have = Unit.select().count()
    if have >= target:
        return 0
    today = today or dt.date.today()
    rng = random.Random(seed + have)
    products = {p.id: (p.model, p.warranty_months) for p in m.Product.select()}
    by_model = {model: pid for pid, (model, _) in products.items()}
    sites: dict[int, list[int]] = {}
    for site in m.Site.select(m.Site.id, m.Site.customer):
        sites.setdefault(site.customer_id, []).append(site.id)
    contracts = list(m.Contract.select().where(m.Contract.status != "draft")
                     .order_by(m.Contract.id))
    if not contracts:
        raise DemoRefused("no signed contract to attach units to")
    buys = {name: [by_model[p] for p in spec[3] if p in by_model]
            for name, spec in INDUSTRIES.items()}
    industry = dict(m.Customer.select(m.Customer.id, m.Customer.industry).tuples())
    # plain tuples: reading peewee fields a million times costs more than the insert
    signed = [(c.id, c.customer_id, c.signed_on, c.warranty_months,
               buys.get(industry.get(c.customer_id)) or list(products),
               sites.get(c.customer_id)) for c in contracts]
    start = (Unit.select(Unit.id).order_by(Unit.id.desc()).scalar() or 0) + 1
    now = utcnow().isoformat(" ")
    fields = [Unit.serial, Unit.product, Unit.contract, Unit.customer, Unit.site,
              Unit.installed_on, Unit.accepted_on, Unit.warranty_start, Unit.warranty_end,
              Unit.warranty_by_hand, Unit.status, Unit.notes, Unit.version, Unit.created_at,
              Unit.updated_at]
    periods: dict = {}
    added, missing = 0, target - have
    while added < missing:
        n = min(chunk, missing - added)
        rows = []
        for i in range(n):
            contract_id, customer_id, signed_on, months, choices, customer_sites = (
                signed[rng.randrange(len(signed))])
            pid = rng.choice(choices)
            installed, accepted, status = _unit_dates(rng, signed_on, today)
            months = products[pid][1] if months is None else months
            period = periods.get((accepted, months))
            if period is None:
                period = periods[accepted, months] = standard_warranty_period(accepted, months)
            rows.append((f"{products[pid][0]}-{signed_on:%y}{start + added + i:07d}", pid,
                         contract_id, customer_id,
                         rng.choice(customer_sites) if installed and customer_sites else None,
                         installed, accepted, period[0], period[1], False, status, "", 1,
                         now, now))
        with database.atomic():
            insert_rows(Unit, fields, rows)
        added += n
        if progress:
            progress(added, missing)
    return added
