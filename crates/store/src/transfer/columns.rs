//! The columns of each kind's sheet: Chinese header, English header, the other
//! names offices use for them, whether an import needs them, a note and an
//! example for the template. Headers are matched loosely (spaces, `*` marks and
//! "(必填)" are ignored; English is case-insensitive).

use super::read::{column_letter, Header};
use super::{file_error, Kind};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Required,
    Optional,
    /// Written by exports and ignored by imports (derived values such as 性别).
    ExportOnly,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub aliases: &'static [&'static str],
    pub usage: Use,
    pub note_zh: &'static str,
    pub note_en: &'static str,
    pub example: &'static str,
}

#[allow(clippy::too_many_arguments)] // a table row, read as one
pub(super) const fn col(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    aliases: &'static [&'static str],
    usage: Use,
    note_zh: &'static str,
    note_en: &'static str,
    example: &'static str,
) -> Column {
    Column {
        key,
        zh,
        en,
        aliases,
        usage,
        note_zh,
        note_en,
        example,
    }
}

use Use::{ExportOnly, Optional, Required};

const PLACE: Column = col(
    "place",
    "所属社区/小区/楼栋",
    "Place",
    &["所在位置", "居住地址", "所属网格单元"],
    Optional,
    "社区、小区、楼栋名称用“/”分隔;也可分别填在“所属社区”“所属小区”“楼栋”列",
    "community, compound and building names separated by '/'; or use the separate columns",
    "",
);
const COMMUNITY: Column = col(
    "community",
    "所属社区",
    "Community",
    &["社区", "社区名称", "所属村", "村", "社区/村"],
    Optional,
    "社区(村)名称,须在您的管辖范围内;填写了单元代码时可不填",
    "community (village) name, inside your scope; not needed when the unit code is given",
    "示例社区",
);
const COMPOUND: Column = col(
    "compound",
    "所属小区",
    "Compound",
    &["小区", "小区名称"],
    Optional,
    "该社区下的小区名称",
    "name of the compound within the community",
    "示例小区",
);
const BUILDING: Column = col(
    "building",
    "楼栋",
    "Building",
    &["所属楼栋", "楼号", "楼栋号", "楼栋名称"],
    Optional,
    "该小区下的楼栋名称,如“1号楼”",
    "name of the building within the compound, e.g. 1号楼",
    "1号楼",
);
const UNIT_CODE: Column = col(
    "unit",
    "单元代码",
    "Unit code",
    &["所属单元代码", "网格编码", "unit_code", "unit"],
    Optional,
    "网格化管理单元代码(如371799001001001001);填写后以代码为准",
    "the grid unit code (e.g. 371799001001001001); when given it decides the place",
    "",
);

const PEOPLE: &[Column] = &[
    col(
        "name",
        "姓名",
        "Name",
        &["名字", "居民姓名"],
        Required,
        "居民姓名,最多50字;少数民族姓名中的“·”照常填写",
        "the resident's name, at most 50 characters",
        "张三",
    ),
    col(
        "id_number",
        "身份证号",
        "ID number",
        &["身份证号码", "公民身份号码", "身份证", "证件号码", "idnumber", "id_number"],
        Required,
        "18位居民身份证号码,以此识别同一人;请先把该列设为“文本”格式,否则Excel会改成3.71702E+17并丢失后三位",
        "the 18-character resident ID number, which identifies the person; format the column as Text first, or Excel turns it into 3.71702E+17 and loses digits",
        "11010519491231002X",
    ),
    col(
        "phone",
        "联系电话",
        "Phone",
        &["电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"],
        Optional,
        "11位手机号,或带区号的固定电话(如0530-5551234)",
        "an 11-digit mobile, or a landline with its area code (e.g. 0530-5551234)",
        "13800138000",
    ),
    PLACE,
    COMMUNITY,
    COMPOUND,
    BUILDING,
    UNIT_CODE,
    col(
        "entrance",
        "单元",
        "Entrance",
        &["单元号"],
        Optional,
        "楼内的单元号,如“2”或“2单元”",
        "the entrance (stairwell) within the building, e.g. 2",
        "2",
    ),
    col(
        "room",
        "房号",
        "Room",
        &["房间号", "门牌号", "室", "房号/门牌"],
        Optional,
        "房间号,如“301”",
        "the room number, e.g. 301",
        "301",
    ),
    col(
        "address_detail",
        "单元房号",
        "Address detail",
        &["详细地址", "address_detail"],
        Optional,
        "单元和房号合写(如“2单元301室”);已分列填写“单元”“房号”时不用",
        "entrance and room together (e.g. 2单元301室), when not given in separate columns",
        "",
    ),
    col(
        "household",
        "户号",
        "Household number",
        &["户编号", "household", "household_number"],
        Optional,
        "同一楼栋内户号相同的人为一户;户号不存在时自动建户",
        "people with the same household number in one building form a household; a new number creates it",
        "H0001",
    ),
    col(
        "relation",
        "与户主关系",
        "Relation to head",
        &["与户主的关系", "关系", "relation"],
        Optional,
        "户主、配偶、子女、儿媳/女婿、父母、孙子女、祖父母、兄弟姐妹、其他;填写户号时必填,每户一个户主",
        "户主 (head), 配偶, 子女, 儿媳/女婿, 父母, 孙子女, 祖父母, 兄弟姐妹, 其他; needed with a household number; one head per household",
        "户主",
    ),
    col(
        "political_status",
        "政治面貌",
        "Political status",
        &["政治面目", "political_status"],
        Optional,
        "中共党员、中共预备党员、共青团员、民主党派成员、无党派人士、群众",
        "one of the GB/T 4762 categories: 中共党员, 中共预备党员, 共青团员, 民主党派成员, 无党派人士, 群众",
        "群众",
    ),
    col(
        "sex",
        "性别",
        "Sex",
        &[],
        ExportOnly,
        "由身份证号得出,导入时忽略",
        "derived from the ID number; ignored on import",
        "",
    ),
    col(
        "birth_date",
        "出生日期",
        "Birth date",
        &[],
        ExportOnly,
        "由身份证号得出,导入时忽略;脱敏导出只给出生年份",
        "derived from the ID number; ignored on import; a masked export gives the year only",
        "",
    ),
];

const HOUSEHOLDS: &[Column] = &[
    col(
        "number",
        "户号",
        "Household number",
        &["户编号", "number"],
        Required,
        "户号;同一楼栋内不重复",
        "the household number, unique within a building",
        "H0001",
    ),
    PLACE,
    COMMUNITY,
    COMPOUND,
    BUILDING,
    UNIT_CODE,
    col(
        "head",
        "户主",
        "Head",
        &["户主姓名"],
        ExportOnly,
        "导出时填写,导入时忽略",
        "written by exports; ignored on import",
        "",
    ),
    col(
        "members",
        "人数",
        "Members",
        &["户内人数"],
        ExportOnly,
        "导出时填写,导入时忽略",
        "written by exports; ignored on import",
        "",
    ),
];

const ORGANISATIONS: &[Column] = &[
    col(
        "name",
        "组织名称",
        "Name",
        &["名称", "单位名称", "组织"],
        Required,
        "组织全称,最多100字",
        "the organisation's full name, at most 100 characters",
        "示例小区业主委员会",
    ),
    col(
        "kind",
        "组织类型",
        "Kind",
        &["类型", "类别", "组织类别", "kind"],
        Required,
        "职能部门、党委、党支部、党小组、居委会、物业公司、业主委员会、企业、社会组织、联盟",
        "one of 职能部门, 党委, 党支部, 党小组, 居委会, 物业公司, 业主委员会, 企业, 社会组织, 联盟",
        "业主委员会",
    ),
    col(
        "credit_code",
        "统一社会信用代码",
        "Credit code",
        &["信用代码", "社会信用代码", "credit_code"],
        Optional,
        "18位统一社会信用代码,以此识别同一组织;党小组、联盟没有",
        "the 18-character unified social credit code, which identifies the organisation; party groups and alliances have none",
        "",
    ),
    PLACE,
    COMMUNITY,
    COMPOUND,
    UNIT_CODE,
    col(
        "parent",
        "上级组织",
        "Parent organisation",
        &["上级党组织", "上级单位", "parent"],
        Optional,
        "上级组织的名称(如小区党支部的上级社区党委)",
        "the name of the organisation above it",
        "",
    ),
    col(
        "unit_name",
        "所属单元",
        "Unit name",
        &[],
        ExportOnly,
        "导出时填写,导入时忽略",
        "written by exports; ignored on import",
        "",
    ),
];

const POSITIONS: &[Column] = &[
    col(
        "id_number",
        "身份证号",
        "ID number",
        &["身份证号码", "公民身份号码", "证件号码", "id_number"],
        Required,
        "任职人员的身份证号,该人须已登记",
        "the ID number of a registered person",
        "11010519491231002X",
    ),
    col(
        "name",
        "姓名",
        "Name",
        &["名字"],
        Optional,
        "填写时须与登记的姓名一致(用于核对)",
        "when given, must match the registered name (a check)",
        "张三",
    ),
    col(
        "org",
        "组织名称",
        "Organisation",
        &["任职组织", "所在组织", "单位", "organisation"],
        Optional,
        "任职组织的名称;也可填统一社会信用代码",
        "the organisation's name; or give its credit code",
        "示例小区业主委员会",
    ),
    col(
        "org_credit_code",
        "组织统一社会信用代码",
        "Organisation credit code",
        &["组织信用代码", "org_credit_code"],
        Optional,
        "任职组织的统一社会信用代码;填写后以代码为准",
        "the organisation's credit code; when given it decides the organisation",
        "",
    ),
    col(
        "kind",
        "职务类型",
        "Kind",
        &["类型", "kind"],
        Required,
        "党员、网格员、委员会成员、工作人员、党建指导员、志愿者",
        "one of 党员, 网格员, 委员会成员, 工作人员, 党建指导员, 志愿者",
        "委员会成员",
    ),
    col(
        "title",
        "职务名称",
        "Title",
        &["职务", "title"],
        Required,
        "如书记、主任、委员、网格员",
        "e.g. 书记, 主任, 委员, 网格员",
        "委员",
    ),
    col(
        "from",
        "开始日期",
        "From",
        &["任职日期", "起始日期", "任职开始日期", "from"],
        Required,
        "如2020-03-20、2020/3/20或2020年3月20日",
        "e.g. 2020-03-20, 2020/3/20 or 2020年3月20日",
        "2020-03-20",
    ),
    col(
        "to",
        "结束日期",
        "To",
        &["离任日期", "任职结束日期", "to"],
        Optional,
        "仍在任的留空",
        "blank while the position is held",
        "",
    ),
];

const UNITS: &[Column] = &[
    col(
        "code",
        "单元代码",
        "Code",
        &["代码", "编码", "code"],
        Optional,
        "已有单元的代码;新建单元留空,由系统按上级单元自动编码(区须填写6位区县代码)",
        "the code of an existing unit; leave blank for a new unit, whose code is assigned (a zone needs its 6-digit county code)",
        "",
    ),
    col(
        "name",
        "单元名称",
        "Name",
        &["名称", "name"],
        Required,
        "单元名称,最多50字",
        "the unit's name",
        "示例小区",
    ),
    col(
        "kind",
        "单元类型",
        "Kind",
        &["类型", "层级", "kind"],
        Required,
        "区、街道/镇、社区/村、小区、楼栋、网格",
        "one of 区, 街道/镇, 社区/村, 小区, 楼栋, 网格 (or zone, street, community, compound, building, grid)",
        "小区",
    ),
    col(
        "parent_code",
        "上级单元代码",
        "Parent code",
        &["上级代码", "parent_code"],
        Optional,
        "上级单元的代码;也可在“上级单元”列填名称",
        "the parent unit's code; or give its name in 上级单元",
        "",
    ),
    col(
        "parent",
        "上级单元",
        "Parent",
        &["上级单元名称", "parent"],
        Optional,
        "上级单元的名称(须唯一),可以是本表前面新建的单元",
        "the parent unit's name (unique), which may be a unit created higher up in this sheet",
        "示例社区",
    ),
    col(
        "lat",
        "纬度",
        "Latitude",
        &["latitude", "lat"],
        Optional,
        "单元所在位置的纬度(WGS-84,如35.2431),与经度同时填写;留空则不改变",
        "latitude of the unit's position (WGS-84, e.g. 35.2431), with the longitude; blank leaves it as it is",
        "35.2431",
    ),
    col(
        "lon",
        "经度",
        "Longitude",
        &["longitude", "lon", "lng"],
        Optional,
        "单元所在位置的经度(WGS-84,如115.4802),与纬度同时填写;留空则不改变",
        "longitude of the unit's position (WGS-84, e.g. 115.4802), with the latitude; blank leaves it as it is",
        "115.4802",
    ),
];

/// The columns of a kind's sheet, in the order templates and exports write them.
pub fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::People => PEOPLE,
        Kind::Households => HOUSEHOLDS,
        Kind::Organisations => ORGANISATIONS,
        Kind::Positions => POSITIONS,
        Kind::Units => UNITS,
        Kind::Equipment => super::import_equipment::COLUMNS,
    }
}

/// Headers every sheet may carry and imports ignore: row numbers, remarks, and
/// the reason column of Wangge's own error reports (so a fixed report can be
/// uploaded again as it is).
const IGNORED: &[&str] = &[
    "序号",
    "编号",
    "no",
    "no.",
    "#",
    "备注",
    "说明",
    "remark",
    "remarks",
    "错误原因",
    "errors",
    "错误原因/errors",
];

/// The header of a report's reason column.
pub const REASON_HEADER: &str = "错误原因/errors";

fn normalise(s: &str) -> String {
    let mut s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | '_'))
        .collect::<String>()
        .to_lowercase();
    for suffix in [
        "(必填)",
        "(必填)",
        "(选填)",
        "(选填)",
        "(required)",
        "(optional)",
    ] {
        if let Some(stem) = s.strip_suffix(suffix) {
            s = stem.to_string();
        }
    }
    s
}

/// Which file column holds each of the kind's columns.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub kind: Kind,
    /// For each catalogue column, the file column that holds it.
    pub position: Vec<Option<usize>>,
    /// The header as the file wrote it, per file column.
    pub headers: Vec<String>,
}

impl ColumnMap {
    pub fn index(&self, key: &str) -> Option<usize> {
        let cols = columns(self.kind);
        let i = cols.iter().position(|c| c.key == key)?;
        self.position[i]
    }

    pub fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// "B 身份证号": the column letter and header of a key, for reports.
    pub fn label(&self, key: &str) -> String {
        match self.index(key) {
            Some(i) => format!("{} {}", column_letter(i), self.headers[i]),
            None => columns(self.kind)
                .iter()
                .find(|c| c.key == key)
                .map_or_else(|| key.to_string(), |c| c.zh.to_string()),
        }
    }
}

/// Matches a header row to the kind's columns. Unknown and missing headers are
/// refused together, each named.
pub fn map_header(kind: Kind, h: &Header) -> Result<ColumnMap> {
    let cols = columns(kind);
    let mut position = vec![None; cols.len()];
    let mut unknown = Vec::new();
    let mut twice = Vec::new();
    for (i, raw) in h.cells.iter().enumerate() {
        let n = normalise(raw);
        if n.is_empty() || IGNORED.iter().any(|x| normalise(x) == n) {
            continue;
        }
        let found = cols.iter().position(|c| {
            normalise(c.zh) == n
                || normalise(c.en) == n
                || normalise(c.key) == n
                || c.aliases.iter().any(|a| normalise(a) == n)
        });
        match found {
            Some(k) if position[k].is_some() => twice.push(format!("{} {raw}", column_letter(i))),
            Some(k) => position[k] = Some(i),
            None => unknown.push(format!("{} “{raw}”", column_letter(i))),
        }
    }
    let missing: Vec<&Column> = cols
        .iter()
        .zip(&position)
        .filter(|(c, p)| c.usage == Use::Required && p.is_none())
        .map(|(c, _)| c)
        .collect();
    if unknown.is_empty() && missing.is_empty() && twice.is_empty() {
        return Ok(ColumnMap {
            kind,
            position,
            headers: h.cells.clone(),
        });
    }
    let mut zh = Vec::new();
    let mut en = Vec::new();
    let at = format!("工作表“{}”第{}行", h.sheet, h.row);
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|c| c.zh).collect();
        let names_en: Vec<String> = missing
            .iter()
            .map(|c| format!("{} ({})", c.zh, c.en))
            .collect();
        zh.push(format!("缺少必填列:{}", names.join("、")));
        en.push(format!(
            "required columns are missing: {}",
            names_en.join(", ")
        ));
    }
    if !unknown.is_empty() {
        zh.push(format!("无法识别的列:{}", unknown.join("、")));
        en.push(format!("unknown columns: {}", unknown.join(", ")));
    }
    if !twice.is_empty() {
        zh.push(format!("重复的列:{}", twice.join("、")));
        en.push(format!("columns given twice: {}", twice.join(", ")));
    }
    let accepted: Vec<&str> = cols
        .iter()
        .filter(|c| c.usage != Use::ExportOnly)
        .map(|c| c.zh)
        .collect();
    let filled = h.cells.iter().filter(|c| !c.trim().is_empty()).count();
    let hint_zh = if filled <= 1 {
        "(表头应在第一行,这一行像是标题行,请删除)"
    } else {
        ""
    };
    let hint_en = if filled <= 1 {
        " (the header belongs in the first row; this one looks like a title row: delete it)"
    } else {
        ""
    };
    Err(file_error(
        "bad_header",
        format!(
            "{at}的表头有误{hint_zh}:{}。可用的列:{}",
            zh.join(";"),
            accepted.join("、")
        ),
        format!(
            "the header in row {} of sheet '{}' is wrong{hint_en}: {}. Accepted columns: {}",
            h.row,
            h.sheet,
            en.join("; "),
            accepted.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Header {
        Header {
            sheet: "人员".into(),
            row: 1,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn chinese_english_and_alias_headers_are_matched() {
        let m = map_header(
            Kind::People,
            &header(&[
                "序号",
                "*姓名",
                "身份证号码(必填)",
                "Phone",
                "所属 社区",
                "备注",
            ]),
        )
        .unwrap();
        assert_eq!(m.index("name"), Some(1));
        assert_eq!(m.index("id_number"), Some(2));
        assert_eq!(m.index("phone"), Some(3));
        assert_eq!(m.index("community"), Some(4));
        assert_eq!(m.label("id_number"), "C 身份证号码(必填)");
        let m = map_header(Kind::People, &header(&["name", "ID Number"])).unwrap();
        assert_eq!(m.index("id_number"), Some(1));
    }

    #[test]
    fn wrong_headers_are_named() {
        let e =
            map_header(Kind::People, &header(&["姓名", "身份正号", "电话", "手机"])).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("身份证号"), "{msg}");
        assert!(msg.contains("B “身份正号”"), "{msg}");
        assert!(msg.contains("D 手机"), "{msg}");
        let e = map_header(Kind::People, &header(&["某某社区居民登记表"])).unwrap_err();
        assert!(e.to_string().contains("标题行"), "{e}");
    }

    #[test]
    fn no_two_columns_of_a_kind_share_a_name() {
        for kind in Kind::ALL {
            let mut owner = std::collections::HashMap::new();
            for c in columns(kind) {
                for name in [c.zh, c.en, c.key].iter().chain(c.aliases) {
                    let prev = owner.insert(normalise(name), c.key);
                    assert!(
                        prev.is_none() || prev == Some(c.key),
                        "{kind:?}: {name} names both {prev:?} and {}",
                        c.key
                    );
                }
            }
        }
    }
}
