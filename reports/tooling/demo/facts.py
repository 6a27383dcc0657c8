"""The demo zone's fixed facts: dates, areas and the word lists its invented names are drawn from."""

import datetime as dt

SEED = 2025
AS_OF = dt.date(2025, 9, 30)  # 2025Q3: the day the headline figures are taken
PREVIOUS = dt.date(2025, 6, 30)  # 2025Q2
PROBATION_WINDOW = dt.date(2024, 10, 1)  # probationary members joined within the last year
STAMP = dt.datetime(2025, 9, 30, 10, 0, tzinfo=dt.UTC)  # every created_at/updated_at, so dumps are stable

CREDIT_REGION = "440890"  # not an administrative division code in use
ID_REGIONS = ("440890", "440891", "440892", "440893", "440895", "440897")

ZONE = ("KFQ", "示范经济开发区")
# code, name, (brand word, industry) pairs, road names
PARKS = (
    (
        "KFQ-P01",
        "科技创新园",
        (
            ("电子科技", "计算机、通信和其他电子设备制造业"),
            ("信息技术", "软件和信息技术服务业"),
            ("光电科技", "计算机、通信和其他电子设备制造业"),
            ("智能科技", "软件和信息技术服务业"),
            ("新材料", "化学原料和化学制品制造业"),
        ),
        ("创新大道", "科苑路", "明理路"),
    ),
    (
        "KFQ-P02",
        "装备制造产业园",
        (
            ("精密机械", "通用设备制造业"),
            ("重工装备", "专用设备制造业"),
            ("汽车零部件", "汽车制造业"),
            ("金属制品", "金属制品业"),
            ("电气设备", "电气机械和器材制造业"),
        ),
        ("装备大道", "机电路", "铸造路"),
    ),
    (
        "KFQ-P03",
        "绿色食品产业园",
        (
            ("食品", "食品制造业"),
            ("农产品加工", "农副食品加工业"),
            ("饮品", "酒、饮料和精制茶制造业"),
            ("水产", "农副食品加工业"),
            ("生物科技", "医药制造业"),
        ),
        ("丰收路", "南溪大道", "禾香路"),
    ),
    (
        "KFQ-P04",
        "临港物流园",
        (
            ("物流", "道路运输业"),
            ("供应链管理", "装卸搬运和仓储业"),
            ("冷链物流", "装卸搬运和仓储业"),
            ("国际货运代理", "多式联运和运输代理业"),
            ("港口服务", "水上运输业"),
        ),
        ("港湾大道", "集运路", "海港路"),
    ),
)
# code, name, kind, parent code
SUB_AREAS = (
    ("KFQ-P01-S01", "东岸片区", "subdistrict", "KFQ-P01"),
    ("KFQ-P01-S01-C01", "东岸社区", "community", "KFQ-P01-S01"),
    ("KFQ-P03-S01", "南溪街道", "subdistrict", "KFQ-P03"),
    ("KFQ-P03-S01-C01", "南溪社区", "community", "KFQ-P03-S01"),
    ("KFQ-P03-S01-C02", "北溪社区", "community", "KFQ-P03-S01"),
)

BRAND_FIRST = "瑞恒华鼎宏盛嘉润泰兴永和金鑫海天信达丰源博远凯创利德隆安明辉锦祥"
BRAND_SECOND = "丰泰达源盛通宇新科昌翔瑞成远华航越诚拓辰誉峰晟弘佳"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳文东海成志峰建国庆"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红琳婷雪慧莹晶颖倩萍玉兰洁梅琴云莉欣怡佳璐"
MINORITIES = (("壮族", 5), ("回族", 3), ("苗族", 3), ("土家族", 2), ("瑶族", 1), ("满族", 1))
EDUCATION_WEIGHTS = {  # postgraduate, bachelor, college, secondary, junior
    "young": (10, 50, 28, 10, 2),
    "middle": (5, 32, 28, 25, 10),
    "older": (1, 15, 25, 37, 22),
}
EDUCATIONS = ("postgraduate", "bachelor", "college", "secondary", "junior")
