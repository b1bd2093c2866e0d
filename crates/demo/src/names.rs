//! Word lists for the demo: the places and bodies the seed pages name, and the
//! pieces invented names are built from. Invented names are deliberately generic
//! (surname + 庄/楼/集, "X花园"), so they read as plausible without pointing at
//! any real compound or company.

/// The zone as the seeds call it; its code 371799 is a placeholder no county uses.
pub const ZONE: &str = "菏泽开发区";

/// One street or town: its name, its urban communities with their compound counts,
/// the rural communities and villages the seeds name, and how many more to invent.
pub struct StreetSpec {
    pub name: &'static str,
    pub urban: &'static [(&'static str, usize)],
    pub named_villages: &'static [&'static str],
    pub invented_villages: usize,
}

/// 10 urban communities holding 87 compounds; 岳程街道 has 44 communities in all.
pub const STREETS: [StreetSpec; 4] = [
    StreetSpec {
        name: "丹阳街道",
        urban: &[
            ("丹阳社区", 11),
            ("桂陵社区", 9),
            ("牡丹社区", 10),
            ("中华路社区", 8),
        ],
        named_villages: &["药王庄社区"],
        invented_villages: 2,
    },
    StreetSpec {
        name: "佃户屯街道",
        urban: &[("佃户屯社区", 9), ("和平社区", 8), ("长江路社区", 8)],
        named_villages: &[],
        invented_villages: 4,
    },
    StreetSpec {
        name: "岳程街道",
        urban: &[("岳程社区", 9), ("昆明路社区", 7), ("人民路社区", 8)],
        named_villages: &[],
        invented_villages: 41,
    },
    StreetSpec {
        name: "陈集镇",
        urban: &[],
        named_villages: &["焦庄村", "七一社区", "陈集社区"],
        invented_villages: 9,
    },
];

/// Village names: a family name and a settlement word (张庄, 刘楼, 孙集 …).
pub const VILLAGE_STEMS: [&str; 40] = [
    "张", "王", "李", "刘", "赵", "孙", "周", "吴", "郑", "冯", "陈", "褚", "卫", "蒋", "沈", "韩",
    "杨", "朱", "秦", "许", "何", "吕", "施", "孔", "曹", "严", "华", "金", "魏", "陶", "姜", "谢",
    "邹", "苏", "潘", "葛", "范", "彭", "鲁", "马",
];
pub const VILLAGE_ENDINGS: [&str; 8] = ["庄", "楼", "集", "屯", "营", "寨", "店", "堂"];

/// Compound names: an auspicious or floral prefix and a housing word.
pub const COMPOUND_PREFIXES: [&str; 36] = [
    "阳光", "锦绣", "金都", "御景", "丽景", "翡翠", "书香", "国花", "牡丹", "龙湖", "世纪", "万福",
    "东方", "恒泰", "佳和", "天香", "银河", "康城", "和谐", "盛世", "水岸", "绿洲", "紫荆", "碧桂",
    "润园", "瑞祥", "福苑", "嘉禾", "温馨", "馨园", "东湖", "南湖", "青年", "文化", "香榭", "兰亭",
];
pub const COMPOUND_SUFFIXES: [&str; 10] = [
    "花园", "小区", "家园", "苑", "名郡", "华庭", "新城", "公馆", "雅居", "府",
];

/// Property companies (invented); the first five have a party organisation.
pub const PROPERTY_COMPANIES: [&str; 12] = [
    "菏泽华鑫物业服务有限公司",
    "菏泽安居物业管理有限公司",
    "菏泽康泰物业服务有限公司",
    "菏泽宏福物业管理有限公司",
    "菏泽嘉和物业服务有限公司",
    "菏泽顺达物业管理有限公司",
    "菏泽恒通物业服务有限公司",
    "菏泽锦程物业管理有限公司",
    "菏泽益民物业服务有限公司",
    "菏泽祥瑞物业管理有限公司",
    "菏泽永安物业服务有限公司",
    "菏泽和润物业管理有限公司",
];
pub const PROPERTY_PARTY_ORGS: usize = 5;

/// Zone departments; the first eight join the 中心商圈 alliance (税务、工商 …).
pub const DEPARTMENTS: [&str; 10] = [
    "菏泽经济开发区税务局",
    "菏泽开发区市场监督管理局",
    "菏泽开发区交警大队",
    "菏泽开发区财政局",
    "菏泽开发区综合行政执法局",
    "菏泽开发区消防救援大队",
    "菏泽开发区经济发展局",
    "菏泽开发区人力资源和社会保障局",
    "菏泽开发区管委会办公室",
    "菏泽开发区社会事业局",
];
pub const ALLIANCE_DEPARTMENTS: usize = 8;

/// Enterprises the seeds name, with the street they are placed in (the seeds do
/// not say where; the placement is invented).
pub const NAMED_ENTERPRISES: [(&str, &str); 6] = [
    ("中鲁盛源集团有限公司", "岳程街道"),
    ("菏泽现代医药港发展有限公司", "岳程街道"),
    ("菏泽市现代医药港产业发展有限公司", "岳程街道"),
    ("山东鸿运达建设有限公司", "佃户屯街道"),
    ("山东西部智能科技有限公司", "岳程街道"),
    ("天久集团", "陈集镇"),
];

/// The four commercial groups at the core of the 中心商圈党建联盟.
pub const CENTRAL_GROUPS: [&str; 4] = ["银座商城", "茂业百货", "新苏天美", "和平大酒店"];

/// Party organisations the seeds name outside the compounds, with their street
/// ("" for the zone) — demonstration sites of the 红色品牌 campaign.
pub const NAMED_PARTY_BRANCHES: [(&str, &str); 5] = [
    ("佃户屯中学党支部", "佃户屯街道"),
    ("陈集小学党支部", "陈集镇"),
    ("陈集镇卫生院党支部", "陈集镇"),
    ("天久集团党支部", "陈集镇"),
    ("财政局党支部", ""),
];

/// Trade names for invented enterprises in the pharma park and the car alliance.
pub const TRADE_WORDS: [&str; 32] = [
    "润通", "鑫泰", "宏达", "众诚", "恒信", "博远", "瑞丰", "德润", "汇川", "金鼎", "华源", "广和",
    "嘉信", "隆盛", "昌荣", "永顺", "泰和", "同创", "明德", "安康", "中祥", "天成", "海纳", "正元",
    "东升", "聚丰", "兴业", "立新", "百川", "诚达", "联合", "远航",
];
pub const CAR_COMPANY_FORMS: [&str; 3] = [
    "汽车销售服务有限公司",
    "汽车贸易有限公司",
    "汽车销售有限公司",
];
pub const SHOP_TRADES: [&str; 16] = [
    "五金店",
    "汽车美容店",
    "轮胎店",
    "汽配商行",
    "便利店",
    "超市",
    "水果店",
    "理发店",
    "快餐店",
    "服装店",
    "烟酒店",
    "家电维修部",
    "文具店",
    "药店",
    "面馆",
    "洗车行",
];

/// Family names, weighted roughly by how common they are in Shandong.
pub const SURNAMES: [(&str, u32); 60] = [
    ("王", 90),
    ("李", 85),
    ("张", 80),
    ("刘", 70),
    ("陈", 40),
    ("杨", 35),
    ("赵", 35),
    ("孙", 30),
    ("周", 20),
    ("吴", 15),
    ("徐", 20),
    ("马", 20),
    ("朱", 18),
    ("胡", 12),
    ("郭", 16),
    ("何", 10),
    ("高", 18),
    ("林", 6),
    ("郑", 10),
    ("梁", 9),
    ("谢", 6),
    ("宋", 12),
    ("唐", 6),
    ("许", 10),
    ("韩", 12),
    ("冯", 8),
    ("邓", 5),
    ("曹", 12),
    ("彭", 5),
    ("田", 10),
    ("董", 10),
    ("袁", 6),
    ("于", 12),
    ("蒋", 5),
    ("杜", 8),
    ("程", 8),
    ("苏", 8),
    ("魏", 8),
    ("吕", 8),
    ("丁", 8),
    ("任", 8),
    ("沈", 5),
    ("姚", 6),
    ("姜", 10),
    ("崔", 8),
    ("范", 8),
    ("石", 6),
    ("贾", 8),
    ("孟", 10),
    ("秦", 6),
    ("薛", 6),
    ("闫", 6),
    ("段", 5),
    ("侯", 6),
    ("史", 6),
    ("郝", 6),
    ("孔", 5),
    ("牛", 6),
    ("邵", 5),
    ("焦", 5),
];

/// Characters of given names; many are used for anyone.
pub const GIVEN_MALE: [&str; 48] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宁", "凯", "建", "国", "志", "海", "庆", "峰", "亮", "晨", "浩", "宇", "博", "文",
    "东", "林", "振", "兴", "德", "成", "永", "广", "春", "立", "长", "金", "宏", "学", "祥", "俊",
];
pub const GIVEN_FEMALE: [&str; 48] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "燕", "红", "梅", "莉", "兰",
    "萍", "婷", "雪", "琳", "洁", "颖", "慧", "倩", "月", "凤", "晶", "莹", "丹", "欣", "悦", "佳",
    "雅", "琴", "云", "荣", "爱", "美", "桂", "翠", "彩", "瑶", "璐", "楠", "茜", "怡", "珍", "淑",
];
