use super::*;
use crate::Error;
use std::collections::BTreeMap;

fn answer(v: AnswerValue) -> Answer {
    Answer {
        value: v,
        note: None,
    }
}

/// Every required item of the elevator checklist answered in order.
fn all_in_order(t: &TemplateBody) -> BTreeMap<String, Answer> {
    t.items()
        .filter(|(_, i)| i.required)
        .map(|(_, i)| {
            let v = match i.kind {
                ItemKind::YesNo => AnswerValue::Bool(i.pass_when.unwrap_or(true)),
                ItemKind::Number => AnswerValue::Number(10.0),
                ItemKind::Choice => AnswerValue::Text(i.choices[0].clone()),
                ItemKind::Text => AnswerValue::Text("无".into()),
                ItemKind::Photo => AnswerValue::Photos(vec![1]),
            };
            (i.code.clone(), answer(v))
        })
        .collect()
}

fn elevator() -> TemplateBody {
    seed_templates().remove(0)
}

#[test]
fn seed_templates_are_valid_and_list_the_rules_exactly() {
    let seeds = seed_templates();
    for t in &seeds {
        assert_eq!(&check_template(t).unwrap(), t, "{} is normalised", t.code);
    }
    let dust = &seeds[1];
    let rules: Vec<&str> = dust.items().map(|(_, i)| i.text.as_str()).collect();
    assert_eq!(
        rules,
        [
            "施工工地周边100%围挡",
            "物料堆放100%覆盖",
            "出入车辆100%冲洗",
            "施工现场地面100%硬化",
            "拆迁工地100%湿法作业",
            "渣土车辆100%密闭运输",
            "施工现场100%安装在线监测和视频监控",
        ]
    );
    let sections: Vec<&str> = seeds[0].sections.iter().map(|s| s.title.as_str()).collect();
    for s in [
        "使用登记与定期检验",
        "维护保养",
        "安全管理制度",
        "日常维护与巡查",
        "双体系(风险分级管控与隐患排查治理)",
        "安全技术档案",
        "应急救援",
    ] {
        assert!(sections.contains(&s), "{s}");
    }
}

type Change = Box<dyn Fn(&mut TemplateBody)>;

#[test]
fn bad_templates_are_refused_naming_the_field() {
    let base = elevator();
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|t| t.code = "Elevator!".into()),
            "code",
            "code_format",
        ),
        (Box::new(|t| t.name = "  ".into()), "name", "required"),
        (Box::new(|t| t.sections.clear()), "sections", "required"),
        (
            Box::new(|t| t.sections[0].items.clear()),
            "sections[0].items",
            "required",
        ),
        (
            Box::new(|t| t.sections[1].items[0].code = "reg_certificate".into()),
            "sections[1].items[0].code",
            "duplicate_item",
        ),
        (
            Box::new(|t| {
                t.category = None;
                t.sections[0].items[0].category = None;
            }),
            "sections[0].items[0].category",
            "category_required",
        ),
        (
            Box::new(|t| {
                let i = &mut t.sections[1].items[1];
                i.pass_max = Some(400.0);
            }),
            "sections[1].items[1].pass_max",
            "limits_order",
        ),
        (
            Box::new(|t| t.sections[0].items[0].min = Some(1.0)),
            "sections[0].items[0].min",
            "not_for_kind",
        ),
        (
            Box::new(|t| {
                let i = &mut t.sections[0].items[0];
                i.kind = ItemKind::Choice;
                i.choices = vec!["有".into(), "无".into()];
                i.fail_choices = vec!["没有".into()];
            }),
            "sections[0].items[0].fail_choices",
            "unknown_choice",
        ),
        (
            Box::new(|t| {
                let i = &mut t.sections[0].items[0];
                i.kind = ItemKind::Choice;
                i.choices = vec!["有".into()];
            }),
            "sections[0].items[0].choices",
            "too_few_choices",
        ),
    ];
    for (change, field, code) in cases {
        let mut t = base.clone();
        change(&mut t);
        match check_template(&t) {
            Err(Error::Invalid {
                field: f,
                code: c,
                zh,
                en,
            }) => {
                assert_eq!((f.as_str(), c), (field, code), "{zh} / {en}");
                assert!(!zh.is_empty() && !en.is_empty());
            }
            other => panic!("expected {field}/{code}, got {other:?}"),
        }
    }
}

#[test]
fn answers_are_checked_against_the_template() {
    let t = elevator();
    let ok = all_in_order(&t);
    assert_eq!(check_answers(&t, &ok).unwrap().len(), ok.len());
    assert!(failures(&t, &ok).is_empty());

    let refused = |change: &dyn Fn(&mut BTreeMap<String, Answer>)| {
        let mut a = ok.clone();
        change(&mut a);
        match check_answers(&t, &a) {
            Err(Error::Invalid { field, code, .. }) => (field, code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    let set = |code: &'static str, v: AnswerValue| {
        move |a: &mut BTreeMap<String, Answer>| {
            a.insert(code.to_string(), answer(v.clone()));
        }
    };
    assert_eq!(
        refused(&set("reg_certificate", AnswerValue::Number(1.0))),
        ("answers.reg_certificate".into(), "answer_type")
    );
    assert_eq!(
        refused(&set("maint_interval", AnswerValue::Bool(true))),
        ("answers.maint_interval".into(), "answer_type")
    );
    assert_eq!(
        refused(&set("maint_interval", AnswerValue::Number(400.0))),
        ("answers.maint_interval".into(), "answer_out_of_range")
    );
    assert_eq!(
        refused(&set("maint_interval", AnswerValue::Number(-1.0))),
        ("answers.maint_interval".into(), "answer_out_of_range")
    );
    assert_eq!(
        refused(&set("no_such_item", AnswerValue::Bool(true))),
        ("answers.no_such_item".into(), "unknown_item")
    );
    assert_eq!(
        refused(&|a| {
            a.remove("alarm_works");
        }),
        ("answers.alarm_works".into(), "answer_required")
    );
    assert_eq!(
        refused(&set("site_photo", AnswerValue::Photos(vec![0]))),
        ("answers.site_photo".into(), "invalid_id")
    );
}

#[test]
fn failures_follow_each_kind_of_item() {
    let t = elevator();
    let mut a = all_in_order(&t);
    a.insert(
        "alarm_works".into(),
        Answer {
            value: AnswerValue::Bool(false),
            note: Some("3号梯紧急报警无法接通值班室".into()),
        },
    );
    a.insert("maint_interval".into(), answer(AnswerValue::Number(30.0)));
    let a = check_answers(&t, &a).unwrap();
    let f = failures(&t, &a);
    let codes: Vec<&str> = f.iter().map(|f| f.item_code.as_str()).collect();
    assert_eq!(codes, ["maint_interval", "alarm_works"]);
    assert_eq!(f[1].finding, "3号梯紧急报警无法接通值班室");
    assert_eq!(f[1].severity, Severity::Major);
    assert_eq!(f[1].category, "0701");
    assert_eq!(f[1].section, "日常维护与巡查");
    assert!(f[0].finding.contains("30天"), "{}", f[0].finding);

    let choice = Item {
        kind: ItemKind::Choice,
        choices: vec!["齐全".into(), "部分".into(), "没有".into()],
        fail_choices: vec!["部分".into(), "没有".into()],
        ..t.sections[0].items[0].clone()
    };
    assert!(!is_failure(&choice, &AnswerValue::Text("齐全".into())));
    assert!(is_failure(&choice, &AnswerValue::Text("没有".into())));
    let inverted = Item {
        pass_when: Some(false),
        ..t.sections[0].items[0].clone()
    };
    assert!(is_failure(&inverted, &AnswerValue::Bool(true)));
}
