"""The demo's raw material: real cities and their coordinates, names, the catalogue.

Everything here is fixed data plus small helpers that draw from a seeded
``random.Random``; :mod:`backoffice.demo.plan` combines them into one demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: the demo's accounts: one per role, each with its role's fixed password
PASSWORDS = {
    "admin": "demo-admin-2026",
    "hq": "demo-hq-2026",
    "office_manager": "demo-manager-2026",
    "engineer": "demo-engineer-2026",
    "viewer": "demo-viewer-2026",
}


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


def address(rng: random.Random, city: City) -> str:
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
#: the key staff member who is headquarters' head of service (gets lasting breaches)
HEAD_OF_SERVICE = "wangjianguo"

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


def chinese_name(rng: random.Random, taken: set[str]) -> tuple[str, str]:
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


def mobile(rng: random.Random) -> str:
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
