//! How a registry's records appear on the staff pages: the list with its
//! columns and filters, one record, and the forms to register and change
//! one. The server builds those pages from this declaration alone. Every text
//! is a key of the web's message catalogues, so that the pages stay in both
//! languages (a server test checks each key is in each catalogue).

/// A registry's pages.
#[derive(Debug, Clone, Copy)]
pub struct Pages {
    /// The prefix of element ids: `site` gives `site-name`, `new-site-form`.
    pub prefix: &'static str,
    /// The list's heading (and the record page's crumb).
    pub title: &'static str,
    /// A crumb above the list: a path and its text.
    pub parent: Option<(&'static str, &'static str)>,
    /// The registration form's heading and button; the record page's link to
    /// its edit form and that form's heading.
    pub new_title: &'static str,
    pub register: &'static str,
    pub edit_link: &'static str,
    pub edit_title: &'static str,
    /// The record's heading: one of its fields.
    pub heading: &'static str,
    /// A field shown as a badge under the heading.
    pub badge: Option<&'static str>,
    /// A note under the record.
    pub note: Option<&'static str>,
    pub fields: &'static [Field],
    /// The list's columns by field name; the first links to the record.
    pub columns: &'static [&'static str],
}

/// One field as the forms edit it and the pages show it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name in the record and in the create and patch bodies.
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// The registration form refuses it blank.
    pub required: bool,
    /// Only the edit form has it (the registration takes the default).
    pub edit_only: bool,
    /// Only the registration form has it (a patch cannot change it).
    pub new_only: bool,
    /// A hint under the input.
    pub hint: Option<&'static str>,
}

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// Free text of at most `max` characters.
    Text { max: usize },
    /// YYYY-MM-DD; blank clears an optional date.
    Date,
    /// One of these wire values, each with its label's key.
    Choice(&'static [(&'static str, &'static str)]),
    /// An organisation, typed by its name or credit code as `form`; the body
    /// takes its id, and the record shows it by the field `shown`.
    Org {
        form: &'static str,
        shown: &'static str,
    },
    /// A unit code; the record shows the unit's name by the field `shown`.
    Unit { shown: &'static str },
}

impl Field {
    pub const fn new(name: &'static str, label: &'static str, input: Input) -> Field {
        Field {
            name,
            label,
            input,
            required: false,
            edit_only: false,
            new_only: false,
            hint: None,
        }
    }

    pub const fn text(name: &'static str, label: &'static str, max: usize) -> Field {
        Field::new(name, label, Input::Text { max })
    }

    pub const fn required(self) -> Field {
        Field {
            required: true,
            ..self
        }
    }

    pub const fn edit_only(self) -> Field {
        Field {
            edit_only: true,
            ..self
        }
    }

    pub const fn new_only(self) -> Field {
        Field {
            new_only: true,
            ..self
        }
    }

    pub const fn hint(self, key: &'static str) -> Field {
        Field {
            hint: Some(key),
            ..self
        }
    }

    /// The name of its input on the forms.
    pub fn form_name(&self) -> &'static str {
        match self.input {
            Input::Org { form, .. } => form,
            _ => self.name,
        }
    }

    /// Whether the registration form (`edit` false) or the edit form has it.
    pub fn on_form(&self, edit: bool) -> bool {
        if edit {
            !self.new_only
        } else {
            !self.edit_only
        }
    }

    /// The label key of one of its choices.
    pub fn choice(&self, wire: &str) -> Option<&'static str> {
        match self.input {
            Input::Choice(all) => all.iter().find(|(w, _)| *w == wire).map(|(_, k)| *k),
            _ => None,
        }
    }
}

impl Pages {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Every catalogue key the pages use.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            self.title,
            self.new_title,
            self.register,
            self.edit_link,
            self.edit_title,
        ];
        k.extend(self.parent.map(|p| p.1));
        k.extend(self.note);
        for f in self.fields {
            k.push(f.label);
            k.extend(f.hint);
            if let Input::Choice(all) = f.input {
                k.extend(all.iter().map(|(_, key)| *key));
            }
        }
        k
    }
}
